"""The one inference path: generate images from codes, and encode images with Q.

The CLI, the grids, the report and the Python API all call these two functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from infogan.config import MAX_SEED
from infogan.errors import InfoganError
from infogan.latent import LatentBatch, LatentSpec
from infogan.networks import Discriminator, Generator


@contextmanager
def _eval_mode(module: torch.nn.Module) -> Iterator[None]:
    """Module in eval mode (batch-norm running statistics) inside, restored afterwards."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


@torch.no_grad()
def generate(generator: Generator, spec: LatentSpec, batch: LatentBatch, chunk_size: int = 1000) -> torch.Tensor:
    """Images (B, C, H, W), floats in G's output range, for the latent draws in ``batch``."""
    device = next(generator.parameters()).device
    generator_input = spec.generator_input(batch).to(device)
    with _eval_mode(generator):
        return torch.cat([generator(part) for part in generator_input.split(chunk_size)])


def codes_batch(
    spec: LatentSpec,
    size: int,
    seed: int = 0,
    fixed: dict[str, float | int] | None = None,
    device: torch.device | str = "cpu",
) -> LatentBatch:
    """``size`` prior draws from ``seed`` with the codes named in ``fixed`` set to one value."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InfoganError(f"number of images must be a positive integer, got {size!r}")
    fixed = spec.check_values(fixed or {})
    batch = spec.sample(size, torch.Generator().manual_seed(check_seed(seed)))
    for name, value in fixed.items():
        code = spec.code(name)
        dtype = torch.int64 if code.is_categorical else torch.float32
        batch.codes[name] = torch.full((size,), value, dtype=dtype)
    batch.noise = batch.noise.to(device)
    batch.codes = {name: values.to(device) for name, values in batch.codes.items()}
    return batch


@torch.no_grad()
def q_output(discriminator: Discriminator, images: torch.Tensor, chunk_size: int = 1000) -> torch.Tensor:
    """Q's raw output (N, q_output_size) for float images (N, C, H, W) in G's range, on the CPU."""
    device = next(discriminator.parameters()).device
    with _eval_mode(discriminator):
        return torch.cat([discriminator(part.to(device))[1].cpu() for part in images.split(chunk_size)])


def encode(
    discriminator: Discriminator, spec: LatentSpec, images: torch.Tensor, chunk_size: int = 1000
) -> dict[str, torch.Tensor]:
    """Q's posterior per code for float images (N, C, H, W): (N, k) probabilities or (N, 2) [mean, std]."""
    return spec.posterior(q_output(discriminator, images, chunk_size))


def check_seed(seed: object) -> int:
    """``seed`` if it is an integer torch can seed with (0 to 2**63 - 1), else an ``InfoganError``."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InfoganError(f"seed must be an integer from 0 to 2**63 - 1, got {seed!r}")
    return seed
