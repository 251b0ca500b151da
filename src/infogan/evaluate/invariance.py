"""Label-free check that a categorical code encodes identity, not style.

A digit rotated by a few degrees or shifted by a pixel or two is still the same digit. If a
categorical code holds digit identity, Q's category for an image survives such a nudge; if
some categories split a digit by style (slant, position, thickness), images near that
style boundary change category. The fraction of images whose category survives is the
*invariance* of the code. It uses no labels, so it can choose among runs (or seeds) where
test accuracy cannot be used; see the README for how well it ranked our MNIST runs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from infogan.data import to_float_images
from infogan.latent import LatentSpec
from infogan.networks import Discriminator
from infogan.sampling import encode

DEFAULT_MAX_DEGREES = 10.0
DEFAULT_MAX_SHIFT_PX = 2.0


def random_small_affine(
    images: torch.Tensor, max_degrees: float, max_shift_px: float, seed: int
) -> torch.Tensor:
    """Each image rotated about its centre and shifted, uniformly at random within the limits.

    images: (N, C, H, W) floats whose background is 0 (uint8 scaled to [0, 1]). Returns the
    same shape; pixels moved in from outside are 0. Bilinear resampling; the draws come from
    a generator seeded with ``seed``, so the result is reproducible and no global RNG moves.
    """
    count, _, height, width = images.shape
    rng = torch.Generator().manual_seed(seed)
    angles = (torch.rand(count, generator=rng) * 2 - 1) * math.radians(max_degrees)
    shifts_px = (torch.rand(count, 2, generator=rng) * 2 - 1) * max_shift_px
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = angles.cos(), -angles.sin()
    theta[:, 1, 0], theta[:, 1, 1] = angles.sin(), angles.cos()
    theta[:, 0, 2] = shifts_px[:, 0] * 2 / width  # affine_grid works in [-1, 1] units
    theta[:, 1, 2] = shifts_px[:, 1] * 2 / height
    theta = theta.to(images.device, images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def category_agreement(predicted: torch.Tensor, predicted_nudged: torch.Tensor) -> float:
    """Fraction of images (N,) whose predicted category is the same after the nudge."""
    if predicted.shape != predicted_nudged.shape or predicted.numel() == 0:
        raise ValueError("need two equal-length, non-empty predictions")
    return float((predicted == predicted_nudged).float().mean())


def nudged_images(
    images: torch.Tensor, output_activation: str, max_degrees: float = DEFAULT_MAX_DEGREES,
    max_shift_px: float = DEFAULT_MAX_SHIFT_PX, seed: int = 0,
) -> torch.Tensor:
    """uint8 images (N, C, H, W) nudged by ``random_small_affine``, as floats in G's range
    ([0, 1] for a sigmoid G, [-1, 1] for tanh), ready for Q."""
    moved = random_small_affine(images.float().div(255.0), max_degrees, max_shift_px, seed)
    return moved if output_activation == "sigmoid" else moved.mul(2).sub(1)



def invariance_per_code(
    discriminator: Discriminator, spec: LatentSpec, images: torch.Tensor, output_activation: str,
    posteriors: dict[str, torch.Tensor] | None = None, seed: int = 0,
) -> dict[str, float]:
    """{code name: invariance in [0, 1]} of every categorical code on uint8 images (N, C, H, W).

    ``posteriors``: Q's posteriors on the un-nudged images when the caller already has them
    (evaluation computes them for accuracy), so that only the nudged images are encoded here.
    """
    if posteriors is None:
        posteriors = encode(discriminator, spec, to_float_images(images, output_activation))
    nudged = encode(discriminator, spec, nudged_images(images, output_activation, seed=seed))
    return {code.name: category_agreement(posteriors[code.name].argmax(dim=1), nudged[code.name].argmax(dim=1))
            for code in spec.categorical}
