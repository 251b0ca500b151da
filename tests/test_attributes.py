"""Slant and stroke width on synthetic strokes of known angle and thickness; code sweeps on a tiny run."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from infogan.errors import InfoganError
from infogan.evaluate.attributes import (
    _compute_code_attribute_correlation,
    _controls,
    measure_continuous_codes,
    slant_degrees,
    stroke_width,
)
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.loaded_run import load_run


def stroke(angle_degrees: float, width: float, length: float = 18, size: int = 28) -> np.ndarray:
    """A straight bar (H, W) centred at pixel (14, 14): ``width`` px thick, tilted from upright,
    positive = top to the right."""
    rows, columns = np.mgrid[0:size, 0:size].astype(float)
    x, y_up = columns - 14, 14 - rows
    angle = math.radians(angle_degrees)
    along = x * math.sin(angle) + y_up * math.cos(angle)
    across = x * math.cos(angle) - y_up * math.sin(angle)
    return ((np.abs(along) <= length / 2) & (across >= -width / 2) & (across < width / 2)).astype(float)


def ellipse(angle_degrees: float, size: int = 28) -> np.ndarray:
    """A soft filled ellipse (axes 10 and 3 px) whose long axis is tilted from upright."""
    rows, columns = np.mgrid[0:size, 0:size].astype(float)
    x, y_up = columns - 13.5, 13.5 - rows
    angle = math.radians(angle_degrees)
    along = x * math.sin(angle) + y_up * math.cos(angle)
    across = x * math.cos(angle) - y_up * math.sin(angle)
    return np.clip(1.5 - (along / 10) ** 2 - (across / 3) ** 2, 0, 1)


ANGLES = [-60, -40, -25, -10, 0, 5, 15, 30, 45, 70]


@pytest.mark.parametrize("shape", [stroke, ellipse])
def test_slant_recovers_the_angle_of_rotated_strokes(shape):
    images = np.stack([shape(angle, 3) if shape is stroke else shape(angle) for angle in ANGLES])
    assert slant_degrees(images) == pytest.approx(ANGLES, abs=2.0)


def test_slant_sign_convention_and_blank_image():
    leaning_right = np.eye(28)[::-1][None]  # anti-diagonal: top right to bottom left, "/"
    leaning_left = np.eye(28)[None]  # "\"
    horizontal = np.zeros((1, 28, 28))
    horizontal[0, 14, 4:24] = 1
    assert slant_degrees(leaning_right)[0] == pytest.approx(45)
    assert slant_degrees(leaning_left)[0] == pytest.approx(-45)
    assert abs(slant_degrees(horizontal)[0]) == pytest.approx(90)
    assert np.isnan(slant_degrees(np.zeros((1, 28, 28)))[0])


@pytest.mark.parametrize("angle", [0, 10, 20, -30, 35])
def test_width_orders_strokes_of_thickness_1_to_5(angle):
    widths = stroke_width(np.stack([stroke(angle, thickness) for thickness in range(1, 6)]))
    assert np.all(np.diff(widths) > 0), widths
    assert widths == pytest.approx([1, 2, 3, 4, 5], abs=0.75)


def test_width_is_exact_for_upright_bars_and_ignores_slant():
    upright = stroke_width(np.stack([stroke(0, thickness) for thickness in range(1, 6)]))
    assert upright == pytest.approx([1, 2, 3, 4, 5], abs=0.25)
    tilted = stroke_width(np.stack([stroke(angle, 3) for angle in (-30, -15, 0, 15, 30)]))
    assert np.ptp(tilted) < 0.7


def test_width_of_rings_and_blank_images():
    rows, columns = np.mgrid[0:28, 0:28]
    radius = np.hypot(rows - 14, columns - 14)
    rings = np.stack([((radius >= 8 - w / 2) & (radius < 8 + w / 2)).astype(float) for w in (1, 2, 3, 4)])
    widths = stroke_width(rings)
    assert np.all(np.diff(widths) > 0) and widths == pytest.approx([1, 2, 3, 4], abs=0.7)
    assert np.isnan(stroke_width(np.zeros((2, 28, 28)))).all()


def test_attributes_reject_wrong_shapes():
    with pytest.raises(InfoganError, match=r"\(N, H, W\)"):
        slant_degrees(np.zeros((28, 28)))
    with pytest.raises(InfoganError):
        stroke_width(np.zeros((1, 1, 28, 28)))


def test_spearman_of_monotone_relations():
    codes = np.linspace(-2, 2, 50)
    assert _compute_code_attribute_correlation(codes, np.exp(codes)) == pytest.approx(1.0)
    assert _compute_code_attribute_correlation(codes, -(codes**3)) == pytest.approx(-1.0)
    assert math.isnan(_compute_code_attribute_correlation(codes, np.ones(50)))
    with_gaps = np.exp(codes)
    with_gaps[::7] = np.nan  # blank images are left out, not counted
    assert _compute_code_attribute_correlation(codes, with_gaps) == pytest.approx(1.0)


def test_grouping_takes_off_each_draws_offset():
    sweep = np.linspace(-2, 2, 9)
    codes = np.tile(sweep, 20)
    groups = np.repeat(np.arange(20), 9)
    offsets = np.random.default_rng(0).normal(0, 20, 20)  # digits differ far more than the sweep moves them
    attributes = 0.5 * codes + offsets[groups]
    assert abs(_compute_code_attribute_correlation(codes, attributes)) < 0.5
    # 1 up to round-off in the tied values left after centring
    assert _compute_code_attribute_correlation(codes, attributes, groups) > 0.99


def test_controls_picks_the_strongest_attribute_above_one_half():
    assert _controls(0.9, 0.2) == "slant"
    assert _controls(0.3, -0.7) == "width"
    assert _controls(0.49, -0.3) == "none"
    assert _controls(float("nan"), float("nan")) == "none"


class StrokeGenerator(torch.nn.Module):
    """A stand-in G for the MNIST spec: one bar per latent vector, tilted 15 degrees per unit of
    c2 and 3 + c3 pixels thick, so c2 controls the slant and c3 the width, exactly."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # generate() reads the device off a parameter

    def forward(self, generator_input: torch.Tensor) -> torch.Tensor:
        c2, c3 = generator_input[:, 72].tolist(), generator_input[:, 73].tolist()
        bars = np.stack([stroke(15 * slant, 3 + width) for slant, width in zip(c2, c3)])
        return torch.from_numpy(bars).float()[:, None]


def test_measure_continuous_codes_finds_the_attribute_each_code_drives():
    spec = LatentSpec(Noise(62), parse_codes("cat:10,unif:2"))
    run = SimpleNamespace(
        spec=spec, generator=StrokeGenerator(), output_activation="sigmoid", device=torch.device("cpu")
    )
    result = measure_continuous_codes(run, draws=4, steps=5, seed=1)
    # rho after taking off each draw's mean: 0.98, not 1, as the draws' sweeps differ in size.
    c2, c3 = result["c2"], result["c3"]
    assert c2["controls"] == "slant" and c2["slant_rho"] > 0.95
    assert c2["slant_change_degrees"] == pytest.approx(60, abs=3)  # -30 to +30 degrees
    assert c2["width_change_px"] == pytest.approx(0, abs=0.1)  # -30 and +30 degrees: the same width
    assert c3["controls"] == "width" and c3["width_rho"] > 0.95
    assert c3["width_change_px"] == pytest.approx(4, abs=0.5)  # 1 to 5 pixels thick
    assert abs(c3["slant_change_degrees"]) < 2  # thickness does not tilt the bar


def test_measure_continuous_codes_on_the_tiny_run(tiny_run):
    run = load_run(tiny_run)
    result = measure_continuous_codes(run, draws=6, steps=5, seed=1)
    assert sorted(result) == ["c2", "c3"]
    for scores in result.values():
        assert set(scores) == {"slant_rho", "width_rho", "controls", "slant_change_degrees", "width_change_px"}
        rhos = [math.nan if scores[key] is None else scores[key] for key in ("slant_rho", "width_rho")]
        assert scores["controls"] == _controls(*rhos)
    assert measure_continuous_codes(run, draws=6, steps=5, seed=1) == result  # seeded
    assert measure_continuous_codes(run, draws=6, steps=5, seed=2) != result
    with pytest.raises(InfoganError, match="at least 2"):
        measure_continuous_codes(run, draws=1)
