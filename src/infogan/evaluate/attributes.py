"""What a continuous code controls: slant and stroke width of generated digits.

The paper reports that on MNIST one continuous code captures rotation (slant) and another
stroke width. ``measure_continuous_codes`` sweeps each continuous code from -2 to 2 with
everything else fixed, measures both attributes on every image and reports the Spearman
rank correlation of each attribute with the code value.

Images here are numpy arrays (N, H, W), floats in [0, 1], ink bright on a dark background
(MNIST's convention). Row index grows downwards, column index to the right.

>>> import numpy as np
>>> bar = np.zeros((1, 28, 28)); bar[0, 4:24, 13:16] = 1.0   # an upright bar 3 px wide
>>> float(slant_degrees(bar)[0]), round(float(stroke_width(bar)[0]), 1)
(0.0, 3.3)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import spearmanr

from infogan.errors import InfoganError
from infogan.networks import get_architecture
from infogan.run import LoadedRun
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


def _neighbours(ink: np.ndarray) -> list[np.ndarray]:
    """The 8 neighbours (N, H, W) of each pixel, clockwise from the one above (P2..P9)."""
    padded = np.pad(ink, ((0, 0), (1, 1), (1, 1)))
    return [
        padded[:, :-2, 1:-1], padded[:, :-2, 2:], padded[:, 1:-1, 2:], padded[:, 2:, 2:],
        padded[:, 2:, 1:-1], padded[:, 2:, :-2], padded[:, 1:-1, :-2], padded[:, :-2, :-2],
    ]


def _thin(ink: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of binary images (N, H, W): one-pixel-wide skeletons, bool.

    T. Y. Zhang and C. Y. Suen, "A fast parallel algorithm for thinning digital patterns",
    CACM 1984: two alternating sub-passes remove boundary pixels whose removal keeps the
    shape connected (one 0->1 transition around the pixel, 2..6 ink neighbours), until
    nothing changes. Written here because scikit-image is not a dependency.
    """
    skeleton = np.asarray(ink, dtype=bool).copy()
    while True:
        changed = False
        for sub_pass in (0, 1):
            p2, p3, p4, p5, p6, p7, p8, p9 = (n.astype(np.int8) for n in _neighbours(skeleton))
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            count = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9
            transitions = sum(((a == 0) & (b == 1)).astype(np.int8) for a, b in zip(ring, ring[1:]))
            if sub_pass == 0:
                side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = skeleton & (count >= 2) & (count <= 6) & (transitions == 1) & side
            if remove.any():
                skeleton &= ~remove
                changed = True
        if not changed:
            return skeleton


def _skeleton_length(skeleton: np.ndarray) -> np.ndarray:
    """Length (N,) in pixels of one-pixel-wide skeletons (N, H, W): 1 per straight step,
    sqrt(2) per diagonal step not already joined through a shared side neighbour, plus 1.

    Counting steps rather than pixels keeps a 45-degree stroke as long as an upright one,
    so that slant does not leak into width; the +1 makes an n-pixel line n long.
    """
    s = skeleton.astype(bool)
    straight = (s[:, :, :-1] & s[:, :, 1:]).sum(axis=(1, 2)) + (s[:, :-1, :] & s[:, 1:, :]).sum(axis=(1, 2))
    falling = s[:, :-1, :-1] & s[:, 1:, 1:] & ~s[:, :-1, 1:] & ~s[:, 1:, :-1]
    rising = s[:, :-1, 1:] & s[:, 1:, :-1] & ~s[:, :-1, :-1] & ~s[:, 1:, 1:]
    diagonal = falling.sum(axis=(1, 2)) + rising.sum(axis=(1, 2))
    return straight + math.sqrt(2) * diagonal + 1.0


def _end_points(skeleton: np.ndarray) -> np.ndarray:
    """Number (N,) of skeleton pixels with exactly one skeleton neighbour: the stroke ends."""
    neighbour_count = sum(n.astype(np.int8) for n in _neighbours(skeleton))
    return (skeleton & (neighbour_count == 1)).sum(axis=(1, 2))


def stroke_width(images: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """Mean stroke width (N,) in pixels from ink area and skeleton length; NaN for a blank image.

    Ink is every pixel above ``threshold``; the skeleton is its Zhang-Suen thinning. A
    stroke of width w is its skeleton (length L) thickened by w, and thinning eats about
    w / 2 off each of its E free ends, so area = w * (L + E * w / 2). Solved for w; with no
    ends (a closed 0) that is area / L.
    """
    ink = _check_images(images) > threshold
    skeleton = _thin(ink)
    area = ink.sum(axis=(1, 2)).astype(np.float64)
    length = _skeleton_length(skeleton)
    half_ends = _end_points(skeleton) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        # Root of half_ends * w^2 + length * w - area = 0, written to stay exact at half_ends = 0.
        width = 2 * area / (length + np.sqrt(length**2 + 4 * half_ends * area))
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
    """"slant", "width" or "none": the attribute with the largest |rho|, if it is >= 0.5."""
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
    activation = get_architecture(run.config.architecture).output_activation
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
