import math

import pytest
import torch

from infogan.errors import SpecError
from infogan.latent import Code, LatentSpec, Noise
from infogan.latent_parsing import noise_in_codes, parse_codes, parse_noise


def test_entropies_match_hand_computed_values():
    spec = LatentSpec(Noise(4), parse_codes("cat:10,unif:1:low=-1:high=3,gauss:1:std=2"))
    entropies = spec.entropy_nats()
    assert entropies["c1"] == pytest.approx(math.log(10)) == pytest.approx(2.302585)
    assert entropies["c2"] == pytest.approx(math.log(4.0))
    assert entropies["c3"] == pytest.approx(0.5 * math.log(2 * math.pi * math.e * 4.0))


def test_sizes_and_layout(mnist_spec):
    assert mnist_spec.generator_input_size == 74
    assert mnist_spec.q_output_size == 12
    batch = mnist_spec.sample(5, torch.Generator().manual_seed(0))
    generator_input = mnist_spec.generator_input(batch)
    assert generator_input.shape == (5, 74)
    one_hot = generator_input[:, 62:72]
    assert torch.equal(one_hot.argmax(1), batch.codes["c1"])
    assert torch.equal(one_hot.sum(1), torch.ones(5))
    assert torch.equal(generator_input[:, 72], batch.codes["c2"])


def test_samples_follow_their_priors():
    spec = LatentSpec(Noise(8, "uniform"), parse_codes("cat:4,unif:1:low=2:high=5,gauss:1:mean=1:std=3"))
    batch = spec.sample(20000, torch.Generator().manual_seed(1))
    assert batch.noise.min() >= -1 and batch.noise.max() <= 1
    assert abs(batch.noise.mean().item()) < 0.02
    assert torch.bincount(batch.codes["c1"], minlength=4).min() > 4500
    assert batch.codes["c2"].min() >= 2 and batch.codes["c2"].max() <= 5
    assert batch.codes["c3"].mean().item() == pytest.approx(1.0, abs=0.1)
    assert batch.codes["c3"].std().item() == pytest.approx(3.0, abs=0.1)


def test_perfect_q_gives_entropy_for_a_categorical_code():
    spec = LatentSpec(Noise(2), parse_codes("cat:10"))
    batch = spec.sample(64, torch.Generator().manual_seed(0))
    perfect_logits = torch.nn.functional.one_hot(batch.codes["c1"], 10).float() * 100.0
    bound = spec.info_lower_bound(perfect_logits, batch)["c1"].item()
    assert bound == pytest.approx(math.log(10), abs=1e-6)
    uniform_logits = torch.zeros(64, 10)
    assert spec.info_lower_bound(uniform_logits, batch)["c1"].item() == pytest.approx(0.0, abs=1e-6)


def test_gaussian_log_q_uses_the_standard_deviation():
    code = Code("c", "uniform", learned_std=True)
    q_part = torch.tensor([[0.5, math.log(2.0)]])  # mean 0.5, std 2
    value = torch.tensor([1.5])
    expected = -0.5 * (1.0 / 2.0) ** 2 - math.log(2.0) - 0.5 * math.log(2 * math.pi)
    assert code.log_q(q_part, value).item() == pytest.approx(expected)
    fixed = Code("c", "uniform", posterior_std=1.0)
    expected_fixed = -0.5 * 1.0 - 0.5 * math.log(2 * math.pi)
    assert fixed.log_q(torch.tensor([[0.5]]), value).item() == pytest.approx(expected_fixed)


def test_gaussian_posterior_equal_to_prior_gives_zero_lower_bound():
    # Q(c|x) = the N(0, 1) prior itself: E[log Q] = -H(c), so L_I = 0 exactly in expectation.
    spec = LatentSpec(Noise(1), parse_codes("gauss:1:qstd=learned"))
    batch = spec.sample(200000, torch.Generator().manual_seed(0))
    q_output = torch.zeros(200000, 2)  # mean 0, log-std 0
    assert spec.info_lower_bound(q_output, batch)["c1"].item() == pytest.approx(0.0, abs=0.01)


def test_parse_codes_options_and_names():
    codes = parse_codes("cat:20x3,unif:1:lambda=0.05:qstd=learned:name=width")
    assert [c.name for c in codes] == ["c1", "c2", "c3", "width"]
    assert all(c.categories == 20 for c in codes[:3])
    assert codes[3].weight == 0.05 and codes[3].learned_std
    assert parse_noise("noise:128:dist=normal") == Noise(128, "normal")
    assert noise_in_codes("cat:10", Noise(62)) == Noise(62)
    assert noise_in_codes("noise:32,cat:10", Noise(62)) == Noise(32)
    for text in ("abc", "normal", "-10", "62.5", "noise:", "cat:10"):
        with pytest.raises(SpecError, match="must be a dimension"):
            parse_noise(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("cat:0", "at least 2 categories"),
        ("cat:1", "at least 2 categories"),
        ("unif:1:low=1:high=1", "low < high"),
        ("gauss:1:std=0", "std > 0"),
        ("beta:2", "unknown code kind"),
        ("cat:10:name=a,unif:1:name=a", "duplicate"),
        ("cat:10:lambda=-1", "lambda"),
        ("cat:ten", "not N or NxM"),
        ("", "empty"),
        ("cat:10:colour=red", "unknown option"),
        ("cat:10:scale=0", "input scale of c1 must be > 0"),
        ("unif:1:scale=-2", "input scale of c1 must be > 0"),
        ("cat:10:scale=inf", "input scale must be a finite number"),
        ("cat:10:scale=big", "is not a number"),
    ],
)
def test_malformed_specs_raise_spec_error(text, message):
    with pytest.raises(SpecError, match=message):
        parse_codes(text)


def test_spec_round_trips_through_json_dict(mnist_spec):
    assert LatentSpec.from_dict(mnist_spec.to_dict()) == mnist_spec


def test_input_scale_multiplies_only_that_codes_generator_columns():
    plain = LatentSpec(Noise(3), parse_codes("cat:4,unif:1"))
    scaled = LatentSpec(Noise(3), parse_codes("cat:4:scale=3.16,unif:1:scale=0.5"))
    assert [code.input_scale for code in scaled.codes] == [3.16, 0.5]
    batch = plain.sample(6, torch.Generator().manual_seed(2))
    plain_input, scaled_input = plain.generator_input(batch), scaled.generator_input(batch)
    assert torch.equal(scaled_input[:, :3], plain_input[:, :3])  # noise untouched
    assert torch.allclose(scaled_input[:, 3:7], 3.16 * plain_input[:, 3:7])
    assert torch.equal(scaled_input[:, 3:7].sum(1), torch.full((6,), 3.16))
    assert torch.allclose(scaled_input[:, 7], 0.5 * batch.codes["c2"])


def test_input_scale_leaves_the_objective_unchanged():
    plain = LatentSpec(Noise(3), parse_codes("cat:4,unif:1"))
    scaled = LatentSpec(Noise(3), parse_codes("cat:4:scale=3.16,unif:1:scale=2"))
    batch = plain.sample(8, torch.Generator().manual_seed(3))
    q_output = torch.randn(8, plain.q_output_size, generator=torch.Generator().manual_seed(4))
    assert scaled.entropy_nats() == plain.entropy_nats()
    for name, bound in plain.info_lower_bound(q_output, batch).items():
        assert torch.equal(scaled.info_lower_bound(q_output, batch)[name], bound)


def test_input_scale_round_trips_and_old_specs_load_with_scale_one():
    spec = LatentSpec(Noise(62), parse_codes("cat:10:scale=3.16,unif:2"))
    assert LatentSpec.from_dict(spec.to_dict()) == spec
    old = spec.to_dict()
    for code in old["codes"]:
        del code["input_scale"]  # a config.json written before the option existed
    assert [code.input_scale for code in LatentSpec.from_dict(old).codes] == [1.0, 1.0, 1.0]
    assert "x3.16 into G" in spec.describe()
