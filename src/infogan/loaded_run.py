"""A trained run loaded for inference: generate, encode, classify and traverse.

>>> run = load_run("runs/mnist-seed0")                             # doctest: +SKIP
>>> images = run.sample(16, seed=0, codes={"c1": 7, "c2": 1.5})    # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from infogan.checkpoint import BEST_NAME, list_checkpoints, load_checkpoint, load_latest_checkpoint
from infogan.config import TrainConfig
from infogan.data import to_float_images
from infogan.devices import resolve_device
from infogan.errors import CheckpointError, InfoganError
from infogan.latent import LatentSpec
from infogan.networks import Discriminator, Generator, build_models, get_architecture
from infogan.run_folder import CHECKPOINT_DIR, read_config
from infogan.sampling import codes_batch, encode, generate
from infogan.viz import save_traversals

MAX_SAMPLES = 100_000  # images one sample() call may generate


class GeneratesImages:
    """``sample`` and ``output_activation`` for anything holding ``generator``, ``spec``,
    ``config`` and ``device`` (a loaded run, an exported generator)."""

    generator: Generator
    spec: LatentSpec
    config: TrainConfig
    device: torch.device

    @property
    def output_activation(self) -> str:
        """ "sigmoid" (images in [0, 1]) or "tanh" (images in [-1, 1])."""
        return get_architecture(self.config.architecture).output_activation

    def sample(self, count: int, seed: int = 0, codes: dict[str, float | int] | None = None) -> torch.Tensor:
        """``count`` generated images (N, C, H, W) in G's range, the named codes fixed, e.g. {"c1": 3}."""
        if isinstance(count, int) and count > MAX_SAMPLES:
            raise InfoganError(f"number of images must be at most {MAX_SAMPLES}, got {count}")
        return generate(self.generator, self.spec, codes_batch(self.spec, count, seed, codes, self.device))


@dataclass
class LoadedRun(GeneratesImages):
    """A trained run, ready for inference: networks in eval mode on ``device``."""

    run_dir: Path
    config: TrainConfig
    spec: LatentSpec
    generator: Generator
    discriminator: Discriminator
    step: int
    device: torch.device

    def encode(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Q's posterior per code for images (N, C, H, W): uint8 0-255 or floats in G's range."""
        if images.dtype == torch.uint8:
            images = to_float_images(images, self.output_activation)
        return encode(self.discriminator, self.spec, images)

    def predict(self, images: torch.Tensor, code: str | None = None) -> torch.Tensor:
        """Most probable category (N,) of a categorical code (default: the first) per image."""
        name = code or (self.spec.categorical[0].name if self.spec.categorical else None)
        if name is None or not self.spec.code(name).is_categorical:
            raise InfoganError("predict needs a categorical code")
        return self.encode(images)[name].argmax(dim=1).cpu()

    def traverse(self, out: str | Path, columns: int = 10, seed: int = 0) -> list[Path]:
        """The paper's Figure 2 grids: ``out`` (c1 by noise) and one ``out_<code>.png`` per continuous code."""
        return save_traversals(self.generator, self.spec, out, columns, seed, self.output_activation)


def _checkpoint_path(run_dir: Path, checkpoint: str | Path | None) -> Path | None:
    """``None`` (the newest), ``"best"`` (checkpoints/best.pt) or a file, checked."""
    if checkpoint is None:
        return None
    if str(checkpoint) == "best":
        checkpoint = run_dir / CHECKPOINT_DIR / BEST_NAME
    path = Path(checkpoint)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder; name a checkpoint file such as {CHECKPOINT_DIR}/{BEST_NAME}")
    return path


def load_run(run_dir: str | Path, device: str = "cpu", checkpoint: str | Path | None = None) -> LoadedRun:
    """Load a run's newest valid checkpoint (or ``checkpoint``: "best" or a file) for inference."""
    run_dir = Path(run_dir)
    config = read_config(run_dir)
    target = resolve_device(device)
    path = _checkpoint_path(run_dir, checkpoint)
    if path is not None:
        state = load_checkpoint(path, target)
    else:
        if not list_checkpoints(run_dir / CHECKPOINT_DIR):
            raise CheckpointError(f"{run_dir} has no step checkpoints yet")
        state = load_latest_checkpoint(run_dir / CHECKPOINT_DIR, target)
        if state is None:
            raise CheckpointError(f"no checkpoint in {run_dir / CHECKPOINT_DIR} could be loaded")
    generator, discriminator = build_models(config)
    try:
        generator.load_state_dict(state["generator"])
        discriminator.load_state_dict(state["discriminator"])
    except (RuntimeError, TypeError, AttributeError):
        raise CheckpointError(f"the checkpoint of {run_dir} does not match its config.json architecture") from None
    generator.to(target).eval()
    discriminator.to(target).eval()
    return LoadedRun(run_dir, config, config.latent, generator, discriminator, int(state["step"]), target)
