"""ModelCentrality: an encoder that inverts the generator scores ~1, a random one near chance, the medoid wins."""

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from infogan.errors import InfoganError
from infogan.evaluate.centrality import CentralitySizes, _compute_centrality, centrality_of_models, model_centrality
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from run_folders import run_cli

SPEC = LatentSpec(Noise(3), parse_codes("cat:3,unif:3"))  # four factors: chance is about 1/4
SIZES = CentralitySizes(batch_size=16, num_votes=60, num_variance_estimate=400, grid_size=5)


class InputAsImage(nn.Module):
    """A fake G: the generator input itself, as images (B, D, 1, 1)."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, generator_input):
        return generator_input[:, :, None, None]


class ExactEncoder(nn.Module):
    """A fake D/Q that inverts InputAsImage: Q's output is the input's code columns (one-hot logits, values)."""

    def __init__(self, spec):
        super().__init__()
        self.noise_dim, self.unused = spec.noise.dim, nn.Parameter(torch.zeros(1))

    def forward(self, images):
        features = images.flatten(1)
        return features[:, 0], features[:, self.noise_dim :]


class RandomEncoder(nn.Module):
    """A fake D/Q whose Q output ignores the image."""

    def __init__(self, spec):
        super().__init__()
        self.size, self.unused = spec.q_output_size, nn.Parameter(torch.zeros(1))
        self.rng = torch.Generator().manual_seed(0)

    def forward(self, images):
        return images[:, 0, 0, 0], torch.randn(len(images), self.size, generator=self.rng)


@dataclass
class FakeRun:
    generator: nn.Module
    discriminator: nn.Module
    spec: LatentSpec = SPEC


def good_run():
    return FakeRun(InputAsImage(), ExactEncoder(SPEC))


def test_an_encoder_that_inverts_the_generator_scores_one_and_a_random_one_near_chance():
    result = centrality_of_models([good_run(), FakeRun(InputAsImage(), RandomEncoder(SPEC))], SIZES)
    scores = np.array(result["scores"])
    assert scores[1, 0] == 1.0  # run 0's exact Q on run 1's generator
    assert 0.1 < scores[0, 1] < 0.5  # the random Q on run 0's generator: about 1/4
    assert result["similarity"][0][1] == pytest.approx((scores[0, 1] + 1.0) / 2)


def test_the_most_central_of_good_good_random_is_a_good_one():
    models = [FakeRun(InputAsImage(), RandomEncoder(SPEC)), good_run(), good_run()]
    result = centrality_of_models(models, SIZES)
    assert result["most_central"] in (1, 2)
    # good: (1 + (1 + chance) / 2) / 2, about 0.8; random: (1 + chance) / 2, about 0.6
    assert result["centrality"][1] > result["centrality"][0] + 0.1


def test_centrality_is_the_mean_symmetrised_score_to_the_others():
    scores = np.array([[0.0, 0.8, 0.4], [0.6, 0.0, 1.0], [0.2, 0.9, 0.0]])
    similarity, centrality = _compute_centrality(scores)
    assert similarity[0, 1] == pytest.approx(0.7) and similarity[1, 2] == pytest.approx(0.95)
    assert centrality.tolist() == pytest.approx([(0.7 + 0.3) / 2, (0.7 + 0.95) / 2, (0.3 + 0.95) / 2])


def test_bad_input_is_one_line():
    with pytest.raises(InfoganError, match="at least two, got 1"):
        centrality_of_models([good_run()], SIZES)
    other = LatentSpec(Noise(3), parse_codes("cat:3,unif:2"))
    with pytest.raises(InfoganError, match=r"different numbers of codes \(3, 4\)"):
        centrality_of_models([good_run(), FakeRun(InputAsImage(), ExactEncoder(other), other)], SIZES)
    with pytest.raises(InfoganError, match="grid_size must be an integer >= 2"):
        CentralitySizes(grid_size=1)


def test_real_runs_through_the_api_and_the_cli(tiny_run, capsys):
    rows = model_centrality([tiny_run, tiny_run], sizes=CentralitySizes(8, 4, 32, 3))
    assert [row["run"] for row in rows] == [str(tiny_run)] * 2 and 0 <= rows[0]["centrality"] <= 1
    assert rows[0]["centrality"] == rows[1]["centrality"]
    status, lines = run_cli(["select", "--by", "centrality", tiny_run, "--device", "cpu"], capsys)
    assert status == 2 and lines == [
        "infogan: error: ModelCentrality compares runs with each other: give at least two, got 1"
    ]


def test_grid_values_are_the_midpoints_of_equally_likely_cells():
    uniform, categorical, gaussian = parse_codes("unif:1,cat:3,gauss:1")
    assert uniform.grid_values(10).tolist() == pytest.approx([-0.9 + 0.2 * k for k in range(10)])
    assert categorical.grid_values(3).tolist() == [0, 1, 2]
    assert gaussian.grid_values(2).tolist() == pytest.approx([-0.6745, 0.6745], abs=1e-4)  # quartiles of N(0, 1)
    with pytest.raises(InfoganError, match="its grid has 3 cells, not 5"):
        categorical.grid_values(5)
