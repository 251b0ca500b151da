"""The code x factor matrix, the controlling code per factor, MIG, and their place in evaluate_run.

Oracles: codes that are the factors (up to order, scale and sign) score ~1 on the diagonal
and ~0 off it; a circular factor followed by a cosine scores 1; random codes score near 0.
"""

import numpy as np
import pytest

from infogan.data import load_dataset
from infogan.data.rendered import RENDERED_SETS, Factor, RenderedSet, ground_truth_of, register
from infogan.errors import InfoganError
from infogan.evaluate.disentanglement_sampled import MetricSizes
from infogan.evaluate.factors import _circular_linear_correlation, attribute_factors, factor_scores
from infogan.evaluate.run_metrics import evaluate_run
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.loaded_run import load_run
from infogan.presets import get_preset
from infogan.trainer import train
from run_folders import tiny_config
from test_data_sources import CELEBA_ATTRIBUTES, write_celeba

FACTORS = (
    Factor("shape", "categorical", 3),
    Factor("size", "ordinal", 10, 0.5, 1.0),
    Factor("angle", "circular", 36, 0.0, 360.0, "deg"),
)
SPEC = LatentSpec(Noise(4), parse_codes("cat:3,unif:2"))  # c1 categorical, c2 and c3 continuous


def _values(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([factor.sample(count, rng) for factor in FACTORS], axis=1)  # (count, 3)


def test_codes_that_are_the_factors_score_one_on_the_diagonal():
    values = _values(4000)
    permuted_shape = np.array([2, 0, 1])[values[:, 0].astype(int)]  # categories renamed
    codes = np.stack([permuted_shape, -3 * values[:, 1] + 1, np.cos(np.radians(values[:, 2] - 40))], axis=1)
    scores = factor_scores(SPEC, codes, FACTORS, values)
    matrix = scores["matrix"]
    assert matrix["c1"]["shape"] == pytest.approx(1.0)
    assert matrix["c2"]["size"] == pytest.approx(1.0)
    assert matrix["c3"]["angle"] == pytest.approx(1.0, abs=1e-9)
    assert max(matrix["c1"]["size"], matrix["c2"]["shape"], matrix["c2"]["angle"], matrix["c3"]["size"]) < 0.1
    assert {factor: entry["code"] for factor, entry in scores["controls"].items()} == {
        "shape": "c1",
        "size": "c2",
        "angle": "c3",
    }
    assert scores["mig"] > 0.5 and scores["points"] == 4000


def test_random_codes_score_near_zero_and_a_mixture_in_between():
    values = _values(4000)
    rng = np.random.default_rng(1)
    random_codes = np.stack([rng.integers(3, size=4000), rng.normal(size=4000), rng.normal(size=4000)], axis=1)
    random_scores = factor_scores(SPEC, random_codes, FACTORS, values)
    assert max(max(row.values()) for row in random_scores["matrix"].values()) < 0.05
    assert random_scores["mig"] < 0.05
    noisy = values[:, 1] + rng.normal(scale=0.15, size=4000)  # size seen through noise
    mixed = np.stack([values[:, 0], noisy, rng.normal(size=4000)], axis=1)
    assert 0.5 < factor_scores(SPEC, mixed, FACTORS, values)["matrix"]["c2"]["size"] < 0.95


def test_circular_linear_correlation_follows_a_turn_from_any_start():
    angle = np.linspace(0, 2 * np.pi, 1000, endpoint=False)
    for start in (0.0, 1.0, 4.0):
        assert _circular_linear_correlation(2 * np.sin(angle - start) + 5, angle) == pytest.approx(1.0)
    assert _circular_linear_correlation(np.cos(3 * angle), angle) < 0.05  # three turns: not one code of one turn
    assert _circular_linear_correlation(np.ones(1000), angle) == 0.0


def test_shapes_are_checked():
    with pytest.raises(InfoganError, match="do not fit"):
        factor_scores(SPEC, np.zeros((10, 2)), FACTORS, _values(10))


def test_binary_attributes_are_two_class_factors():
    assert [(f.name, f.kind, f.size) for f in attribute_factors(("Smiling", "Eyeglasses"))] == [
        ("Smiling", "categorical", 2),
        ("Eyeglasses", "categorical", 2),
    ]


@register("toy-bars")
class ToyBars(RenderedSet):
    """28x28 grey: a vertical bar at a position (ordinal) of a brightness class (categorical)."""

    name, image_channels, image_size = "toy-bars", 1, 28
    factors = (Factor("x", "ordinal", 8, 4.0, 23.0), Factor("level", "categorical", 2))
    train_size, test_size, label_factor = 64, 200, "level"

    def render(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        images = np.zeros((len(values), 1, 28, 28), np.uint8)
        for row, (x, level) in enumerate(values):
            images[row, 0, 4:24, int(round(x)) - 1 : int(round(x)) + 2] = 120 + 120 * int(level)
        return images


@pytest.fixture
def toy_run(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOGAN_CACHE", str(tmp_path / "cache"))
    return train(tiny_config(dataset="toy-bars", steps=1), tmp_path / "run", progress=False)


def test_a_rendered_split_carries_its_factors_and_label_factor(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOGAN_CACHE", str(tmp_path))
    test_set = load_dataset("toy-bars", "test")
    assert tuple(test_set.images.shape) == (200, 1, 28, 28) and test_set.factors.shape == (200, 2)
    assert test_set.labels.tolist() == test_set.factors[:, 1].astype(int).tolist()
    again = load_dataset("toy-bars", "test")  # from the cache: the same pixels and values
    assert np.array_equal(again.images.numpy(), test_set.images.numpy())
    assert len(list((tmp_path / "data" / "rendered").glob("toy-bars-*.npy"))) == 2  # images and values


@pytest.mark.slow
def test_evaluate_run_reports_the_factor_matrix_and_the_sampled_metrics(toy_run):
    assert "toy-bars" in RENDERED_SETS and ground_truth_of("mnist") is None
    sizes = MetricSizes(num_train=100, num_test=50, batch_size=8, num_variance_estimate=100)
    result = evaluate_run(load_run(toy_run), samples=100, fid=False, disentanglement=sizes)
    factors = result["factors"]
    assert set(factors["matrix"]) == {"c1", "c2", "c3"} and set(factors["controls"]) == {"x", "level"}
    assert all(0 <= score <= 1 for row in factors["matrix"].values() for score in row.values())
    assert result["codes"]["c2"]["factor"] in ("x", "level") and "slant_rho" not in result["codes"]["c2"]
    assert result["codes"]["c1"]["test_images"] == 200  # the label factor gives c1 its accuracy
    sampled = result["disentanglement"]
    assert sampled["sizes"]["num_train"] == 100
    assert set(sampled) >= {"mig", "dci_disentanglement", "sap", "factor_vae", "beta_vae"}
    assert 0 <= sampled["factor_vae"] <= 1 and 0 <= sampled["beta_vae"] <= 1
    with pytest.raises(InfoganError, match="disentanglement sizes"):
        evaluate_run(load_run(toy_run), samples=100, fid=False, disentanglement="huge")


def test_a_saved_evaluation_with_a_malformed_factors_section_is_one_line(tmp_path):
    from infogan.report import check_evaluation

    good = {"codes": {"c1": {}}, "factors": {"source": "x", "matrix": {"c1": {"f": 0.5}}, "controls": {}}}
    with pytest.raises(InfoganError, match="not shaped"):
        check_evaluation(good)  # "controls" lacks the factor f
    good["factors"]["controls"] = {"f": {"code": "c1", "score": 0.5}}
    assert check_evaluation(good) is good
    with pytest.raises(InfoganError, match="not shaped"):
        check_evaluation({"codes": {}, "disentanglement": [1, 2]})


@pytest.mark.slow
def test_the_celeba_preset_trains_on_a_celeba_folder_and_measures_its_attributes(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOGAN_CACHE", str(tmp_path / "cache"))
    write_celeba(tmp_path / "celeba", [0] * 24 + [2] * 16)
    config = get_preset("celeba").with_changes(
        dataset=str(tmp_path / "celeba"), steps=1, batch_size=8, eval_every=0, device="cpu"
    )
    run_dir = train(config, tmp_path / "run", progress=False)
    result = evaluate_run(load_run(run_dir), samples=50, fid=False)
    factors = result["factors"]
    assert factors["source"] == "the 16 test images" and set(factors["controls"]) == set(CELEBA_ATTRIBUTES)
    assert set(factors["matrix"]) == {f"c{i}" for i in range(1, 11)}
    assert all(0 <= score <= 1 for row in factors["matrix"].values() for score in row.values())
    assert "disentanglement" not in result  # a folder has no sampler of its own
