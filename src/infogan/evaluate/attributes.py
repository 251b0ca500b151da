"""What a continuous code controls: slant and stroke width of generated digits.

The paper reports that on MNIST one continuous code captures rotation (slant) and another
stroke width. ``measure_continuous_codes`` sweeps each continuous code from -2 to 2 with
everything else fixed, measures both attributes on every image and reports the Spearman
rank correlation of each attribute with the code value.

Images here are numpy arrays (N, H, W), floats in [0, 1], ink bright on a dark background
(MNIST's convention). Row index grows downwards, column index to the right.

>>> import numpy as np
>>> bar = np.zeros((1, 28, 28)); bar[0, 4:24, 13:16] = 1.0   # an upright bar 3 px wide
>>> float(slant_degrees(bar)[0]), round(float(stroke_width(bar)[0]), 2)
(0.0, 3.11)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import spearmanr

from infogan.errors import InfoganError
from infogan.loaded_run import LoadedRun
from infogan.sampling import codes_batch, generate
from infogan.viz import TRAVERSAL_VALUES

INK_THRESHOLD = 0.5  # a pixel is ink when its intensity exceeds this (images in [0, 1])
CONTROL_THRESHOLD = 0.5  # |rho| a code needs before we say it controls an attribute


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise InfoganError(f"images must be (N, H, W), got shape {images.shape}")
    return images


def slant_degrees(images: np.ndarray) -> np.ndarray:
    """Slant (N,) in degrees of each image's principal axis from the vertical, in (-90, 90].

    The axis comes from the intensity-weighted second-order central moments. 0 is upright;
    positive means the top leans to the right (clockwise, like italic script ``/``),
    negative to the left (``\\``); +-90 is a horizontal stroke. A blank image gives NaN.
    """
    images = _check_images(images)
    _, height, width = images.shape
    rows = np.arange(height, dtype=np.float64)[None, :, None]
    columns = np.arange(width, dtype=np.float64)[None, None, :]
    mass = images.sum(axis=(1, 2))  # (N,)
    with np.errstate(invalid="ignore", divide="ignore"):
        row_mean = (images * rows).sum(axis=(1, 2)) / mass
        column_mean = (images * columns).sum(axis=(1, 2)) / mass
        dx = columns - column_mean[:, None, None]  # (N, 1, W), to the right
        dy_up = row_mean[:, None, None] - rows  # (N, H, 1), upwards
        mu_xx = (images * dx**2).sum(axis=(1, 2))
        mu_yy = (images * dy_up**2).sum(axis=(1, 2))
        mu_xy = (images * dx * dy_up).sum(axis=(1, 2))
    # The principal axis's angle measured from the vertical towards +x (right).
    angle = np.degrees(0.5 * np.arctan2(2 * mu_xy, mu_yy - mu_xx))
    return np.where(mass > 0, angle, np.nan)


def _perimeter(ink: np.ndarray) -> np.ndarray:
    """Boundary length (N,) in pixels of binary images (N, H, W), by marching squares.

    The contour runs between ink and background pixel centres: each 2x2 window holding one
    or three ink pixels cuts a corner (sqrt(2)/2), two side by side a straight edge (1), two
    on a diagonal a saddle (two cuts, sqrt(2)). Straight and 45-degree edges come out exact.
    """
    padded = np.pad(ink, ((0, 0), (1, 1), (1, 1))).astype(np.int8)
    top_left, top_right = padded[:, :-1, :-1], padded[:, :-1, 1:]
    bottom_left, bottom_right = padded[:, 1:, :-1], padded[:, 1:, 1:]
    ink_count = top_left + top_right + bottom_left + bottom_right  # (N, H+1, W+1)
    corners = (ink_count == 1) | (ink_count == 3)
    saddles = (ink_count == 2) & (top_left == bottom_right)
    edges = (ink_count == 2) & (top_left != bottom_right)
    return math.sqrt(0.5) * corners.sum(axis=(1, 2)) + edges.sum(axis=(1, 2)) + math.sqrt(2) * saddles.sum(axis=(1, 2))


def stroke_width(images: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """Mean stroke width (N,) in pixels from ink area and perimeter; NaN for a blank image.

    Ink is every pixel above ``threshold``. A stroke of length L and width w has area
    A = L * w and perimeter P = 2 * (L + w), so w is the smaller root of
    w^2 - (P / 2) * w + A = 0: ink area over half the perimeter, corrected for the two end
    caps. A ring (a 0) gives about A / (P / 2) as well, since inner plus outer contour is
    twice its length. We measure the perimeter rather than a thinned skeleton's length: the
    classic thinning (Zhang-Suen) eats diagonal strokes from their ends, which made width
    depend on slant; scikit-image is not a dependency either.
    """
    ink = _check_images(images) > threshold
    area = ink.sum(axis=(1, 2)).astype(np.float64)
    half_perimeter = _perimeter(ink) / 2
    # A blob rounder than a rectangle has no real root: its width is then half_perimeter / 2.
    discriminant = np.maximum(half_perimeter**2 - 4 * area, 0.0)
    width = (half_perimeter - np.sqrt(discriminant)) / 2
    return np.where(area > 0, width, np.nan)


def _compute_code_attribute_correlation(
    code_values: np.ndarray, attributes: np.ndarray, groups: np.ndarray | None = None
) -> float:
    """Spearman rho in [-1, 1] of an attribute (N,) against code values (N,); NaN if undefined.

    With ``groups`` (N,) (one id per fixed noise draw), each group's mean attribute is taken
    off first, so that differences between digits (a 1 is thinner than an 8 whatever the
    code) do not hide what the code changes. Pairs with a NaN attribute are left out.
    """
    code_values = np.asarray(code_values, dtype=np.float64)
    attributes = np.asarray(attributes, dtype=np.float64)
    if code_values.shape != attributes.shape or code_values.ndim != 1:
        raise InfoganError(f"code values {code_values.shape} and attributes {attributes.shape} must be equal (N,)")
    keep = np.isfinite(attributes)
    code_values, attributes = code_values[keep], attributes[keep]
    if groups is not None:
        groups = np.asarray(groups)[keep]
        _, group_index = np.unique(groups, return_inverse=True)
        group_means = np.bincount(group_index, attributes) / np.bincount(group_index)
        attributes = attributes - group_means[group_index]
    if len(attributes) < 3 or np.ptp(attributes) == 0 or np.ptp(code_values) == 0:
        return float("nan")
    return float(spearmanr(code_values, attributes)[0])


def _controls(slant_rho: float, width_rho: float) -> str:
    """ "slant", "width" or "none": the attribute with the largest |rho|, if it is >= 0.5."""
    scores = {"slant": abs(slant_rho), "width": abs(width_rho)}
    scores = {name: value for name, value in scores.items() if math.isfinite(value)}
    if not scores:
        return "none"
    best = max(scores, key=scores.get)
    return best if scores[best] >= CONTROL_THRESHOLD else "none"


def _json_number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _mean_change(values: np.ndarray) -> float | None:
    """Mean over draws of the last sweep value minus the first, for values (draws, steps)."""
    change = values[:, -1] - values[:, 0]
    change = change[np.isfinite(change)]
    return float(change.mean()) if len(change) else None


def _gray_images(images: torch.Tensor, output_activation: str) -> np.ndarray:
    """Generated images (N, C, H, W) in G's range -> numpy (N, H, W) in [0, 1]."""
    if output_activation == "tanh":
        images = (images + 1) / 2
    return images.clamp(0, 1).mean(dim=1).cpu().numpy()


@torch.no_grad()
def measure_continuous_codes(run: LoadedRun, draws: int = 200, steps: int = 9, seed: int = 0) -> dict[str, dict]:
    """Per continuous code: Spearman rho of slant and of stroke width with the code value.

    Each code is swept over ``steps`` values from -2 to 2 (beyond the -1..1 prior, as in
    the paper) for ``draws`` fixed draws of z and of every other code, so ``draws * steps``
    images per code. Returns ``{code: {"slant_rho", "width_rho", "controls",
    "slant_change_degrees", "width_change_px"}}``: rho in [-1, 1] (None if undefined, e.g.
    blank images), rho computed after taking off each draw's mean; ``controls`` is "slant",
    "width" or "none" (largest |rho| below 0.5); the changes are mean attribute at +2 minus
    at -2, in degrees (positive: leans further right) and in pixels.
    """
    if draws < 2 or steps < 2:
        raise InfoganError(f"need at least 2 draws and 2 steps, got draws={draws}, steps={steps}")
    spec = run.spec
    activation = run.output_activation
    sweep = torch.linspace(*TRAVERSAL_VALUES, steps)  # (steps,)
    code_values = sweep.repeat(draws).numpy()  # (draws * steps,), draw-major
    groups = np.repeat(np.arange(draws), steps)
    results: dict[str, dict] = {}
    for code in spec.continuous:
        batch = codes_batch(spec, draws, seed, device=run.device)
        # Every draw repeated ``steps`` times: only the swept code changes along a draw.
        batch.noise = batch.noise.repeat_interleave(steps, dim=0)
        batch.codes = {name: values.repeat_interleave(steps) for name, values in batch.codes.items()}
        batch.codes[code.name] = torch.from_numpy(code_values).float().to(run.device)
        images = _gray_images(generate(run.generator, spec, batch), activation)  # (draws * steps, H, W)
        slants, widths = slant_degrees(images), stroke_width(images)
        slant_rho = _compute_code_attribute_correlation(code_values, slants, groups)
        width_rho = _compute_code_attribute_correlation(code_values, widths, groups)
        results[code.name] = {
            "slant_rho": _json_number(slant_rho),
            "width_rho": _json_number(width_rho),
            "controls": _controls(slant_rho, width_rho),
            "slant_change_degrees": _mean_change(slants.reshape(draws, steps)),
            "width_change_px": _mean_change(widths.reshape(draws, steps)),
        }
    return results
