"""How Q's categories react to small changes of the test images, per checkpoint.

    python benchmarks/nudge_sensitivity.py runs/lrq3.2e-3-lrg2e-3-seed0 [--checkpoints 3]

For each of the run's newest K step checkpoints, prints the fraction of the 10,000 MNIST test
images whose c1 category under Q stays the same after:
- ``whole_pixel_shift``: the nudge ``invariance`` uses (random whole-pixel offset, up to 2 px);
- ``bilinear_rotate_shift``: the nudge it used before (random rotation within +-10 degrees and
  shift within +-2 px, bilinear resampling, seed 0);
- ``half_pixel_shift``: every image moved half a pixel to the right (bilinear);
- ``half_blur``: each image averaged half and half with its 3x3 box blur.
The last two change no position by a whole pixel; a category that changes under them reads
sharpness, not identity (README, "Why whole pixels").
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from infogan.data import load_dataset, to_float_images
from infogan.evaluate.invariance import nudged_images
from infogan.run import load_run
from infogan.sampling import encode


def affine(images: torch.Tensor, angles_rad: torch.Tensor, shifts_px: torch.Tensor) -> torch.Tensor:
    """images (N, 1, H, W) rotated by ``angles_rad`` (N,) and shifted by ``shifts_px`` (N, 2), bilinear."""
    count, _, height, width = images.shape
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = angles_rad.cos(), -angles_rad.sin()
    theta[:, 1, 0], theta[:, 1, 1] = angles_rad.sin(), angles_rad.cos()
    theta[:, 0, 2], theta[:, 1, 2] = shifts_px[:, 0] * 2 / width, shifts_px[:, 1] * 2 / height
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def variants(images_uint8: torch.Tensor) -> dict[str, torch.Tensor]:
    """The four changed copies of the test images, floats in [0, 1]."""
    images = to_float_images(images_uint8)
    count = len(images)
    rng = torch.Generator().manual_seed(0)
    angles = (torch.rand(count, generator=rng) * 2 - 1) * math.radians(10)
    shifts = (torch.rand(count, 2, generator=rng) * 2 - 1) * 2
    half_shift = torch.tensor([[0.5, 0.0]]).expand(count, 2)
    blurred = F.avg_pool2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    return {
        "whole_pixel_shift": nudged_images(images_uint8, "sigmoid"),
        "bilinear_rotate_shift": affine(images, angles, shifts),
        "half_pixel_shift": affine(images, torch.zeros(count), half_shift),
        "half_blur": 0.5 * images + 0.5 * blurred,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--checkpoints", type=int, default=3)
    args = parser.parse_args()
    test_images = load_dataset("mnist", "test").images
    changed = variants(test_images)
    for checkpoint in sorted((args.run_dir / "checkpoints").glob("step_*.pt"))[-args.checkpoints:]:
        run = load_run(args.run_dir, checkpoint=checkpoint)
        category = lambda x: encode(run.discriminator, run.spec, x)["c1"].argmax(dim=1)  # noqa: E731
        clean = category(to_float_images(test_images))
        kept = {name: (category(images) == clean).float().mean().item() for name, images in changed.items()}
        print(checkpoint.name, " ".join(f"{name} {value:.3f}" for name, value in kept.items()), flush=True)


if __name__ == "__main__":
    main()
