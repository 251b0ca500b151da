"""Label-free check that a categorical code encodes identity, not style.

A digit shifted by a pixel or two is still the same digit. If a categorical code holds
digit identity, Q's category for an image survives such a nudge; if some categories split
a digit by style (position, slant, thickness), images near that style boundary change
category. The fraction of images whose category survives is the *invariance* of the code.
It uses no labels, so it can choose among runs (or seeds) where test accuracy cannot be
used; docs/results/mnist.md shows how well it ranked our MNIST runs.

The nudge moves whole pixels and never resamples: every pixel value is kept, only its place
changes, so a Q that reads sharpness (which resampling would blur) cannot move the score.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from infogan.data import to_float_images
from infogan.latent import LatentSpec
from infogan.networks import Discriminator
from infogan.sampling import encode

DEFAULT_MAX_SHIFT_PX = 2


def pixel_offsets(max_shift_px: int) -> torch.Tensor:
    """(K, 2) every whole-pixel offset (rows, columns) within ``max_shift_px`` except (0, 0)."""
    span = torch.arange(-max_shift_px, max_shift_px + 1)
    offsets = torch.cartesian_prod(span, span)
    return offsets[(offsets != 0).any(dim=1)]


def random_pixel_shift(images: torch.Tensor, max_shift_px: int, seed: int) -> torch.Tensor:
    """Each image moved by a whole-pixel offset drawn uniformly from ``pixel_offsets``.

    images: (N, C, H, W) of any dtype whose background is 0. Returns the same shape and
    dtype; pixels moved in from outside are 0, pixel values are never changed. The draws come
    from a generator seeded with ``seed``, so the result is reproducible and no global RNG moves.
    """
    if not isinstance(max_shift_px, int) or max_shift_px < 1:
        raise ValueError(f"max_shift_px must be a positive whole number of pixels, got {max_shift_px!r}")
    offsets = pixel_offsets(max_shift_px)
    choice = torch.randint(len(offsets), (images.shape[0],), generator=torch.Generator().manual_seed(seed))
    height, width = images.shape[-2:]
    m = max_shift_px
    padded = F.pad(images, (m, m, m, m))
    moved = torch.empty_like(images)
    for index, (rows, columns) in enumerate(offsets.tolist()):
        chosen = (choice == index).nonzero().squeeze(1).to(images.device)
        moved[chosen] = padded[chosen, :, m - rows : m - rows + height, m - columns : m - columns + width]
    return moved


def category_agreement(predicted: torch.Tensor, predicted_nudged: torch.Tensor) -> float:
    """Fraction of images (N,) whose predicted category is the same after the nudge."""
    if predicted.shape != predicted_nudged.shape or predicted.numel() == 0:
        raise ValueError("need two equal-length, non-empty predictions")
    return float((predicted == predicted_nudged).float().mean())


def nudged_images(
    images: torch.Tensor, output_activation: str, max_shift_px: int = DEFAULT_MAX_SHIFT_PX, seed: int = 0
) -> torch.Tensor:
    """uint8 images (N, C, H, W) moved by ``random_pixel_shift``, as floats in G's range
    ([0, 1] for a sigmoid G, [-1, 1] for tanh), ready for Q."""
    return to_float_images(random_pixel_shift(images, max_shift_px, seed), output_activation)


def invariance_per_code(
    discriminator: Discriminator,
    spec: LatentSpec,
    images: torch.Tensor,
    output_activation: str,
    posteriors: dict[str, torch.Tensor] | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """{code name: invariance in [0, 1]} of every categorical code on uint8 images (N, C, H, W).

    ``posteriors``: Q's posteriors on the un-nudged images when the caller already has them
    (evaluation computes them for accuracy), so that only the nudged images are encoded here.
    """
    if posteriors is None:
        posteriors = encode(discriminator, spec, to_float_images(images, output_activation))
    nudged = encode(discriminator, spec, nudged_images(images, output_activation, seed=seed))
    return {
        code.name: category_agreement(posteriors[code.name].argmax(dim=1), nudged[code.name].argmax(dim=1))
        for code in spec.categorical
    }
