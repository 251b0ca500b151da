"""The run folder: its layout, its safe creation, metrics lines and loading a trained run.

    RUN_DIR/config.json          the resolved TrainConfig
    RUN_DIR/metrics.jsonl        one JSON object per line: {"kind": "train"|"eval", "step", ...}
    RUN_DIR/checkpoints/         step_00000500.pt ... (the newest K, plus the best)
    RUN_DIR/images/              traversal grids written during training
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from infogan.checkpoint import list_checkpoints, load_checkpoint, load_latest_checkpoint, write_atomic
from infogan.config import TrainConfig
from infogan.data import to_float_images
from infogan.errors import CheckpointError, InfoganError
from infogan.latent import LatentSpec
from infogan.networks import Discriminator, Generator, build_networks, get_architecture
from infogan.sampling import codes_batch, encode, generate

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"
IMAGE_DIR = "images"
TENSORBOARD_DIR = "tensorboard"
RUN_OUTPUTS = (CONFIG_FILE, METRICS_FILE, CHECKPOINT_DIR, IMAGE_DIR, TENSORBOARD_DIR)


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InfoganError("--device cuda was asked for but no CUDA GPU is available; use --device cpu")
    if name not in ("cpu", "cuda"):
        raise InfoganError(f"unknown device {name!r}; use auto, cpu or cuda")
    return torch.device(name)


def _check_writable(folder: Path) -> None:
    probe = folder / ".infogan-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise InfoganError(f"output folder {folder} is not writable ({error.strerror})") from None


def prepare_run_dir(run_dir: Path, resume: bool, overwrite: bool) -> None:
    """Create or check the run folder; never deletes anything but a replaced run's own files."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise InfoganError(f"output path {run_dir} exists and is not a folder")
    holds_run = (run_dir / CONFIG_FILE).exists()
    if resume:
        if not holds_run:
            raise InfoganError(f"cannot resume: {run_dir} holds no run (no {CONFIG_FILE})")
        _check_writable(run_dir)
        return
    if holds_run and not overwrite:
        raise InfoganError(f"{run_dir} already holds a run; pass --resume to continue it or --overwrite to replace it")
    if run_dir.is_dir() and not holds_run and any(run_dir.iterdir()):
        foreign = sorted(p.name for p in run_dir.iterdir() if p.name not in RUN_OUTPUTS)
        if foreign:
            raise InfoganError(f"{run_dir} is not empty and holds no infogan run; choose another --out")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InfoganError(f"cannot create output folder {run_dir} ({error.strerror})") from None
    _check_writable(run_dir)
    if overwrite:
        for name in RUN_OUTPUTS:
            target = run_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()


def write_config(run_dir: Path, config: TrainConfig) -> None:
    text = config.to_json() + "\n"
    write_atomic(Path(run_dir) / CONFIG_FILE, lambda stream: stream.write(text.encode()))


def read_config(run_dir: Path) -> TrainConfig:
    path = Path(run_dir) / CONFIG_FILE
    if not Path(run_dir).is_dir():
        raise InfoganError(f"run folder {run_dir} does not exist")
    try:
        return TrainConfig.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise InfoganError(f"{run_dir} holds no run (no {CONFIG_FILE})") from None
    except json.JSONDecodeError as error:
        raise InfoganError(f"{path} is not valid JSON ({error.msg} at line {error.lineno})") from None


def append_metrics(run_dir: Path, record: dict) -> None:
    with open(Path(run_dir) / METRICS_FILE, "a") as stream:
        stream.write(json.dumps(record) + "\n")


def read_metrics(run_dir: Path, kind: str | None = None) -> list[dict]:
    """Metrics records, optionally only those of one ``kind``; a torn last line is ignored."""
    path = Path(run_dir) / METRICS_FILE
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if kind is None or record.get("kind") == kind:
            records.append(record)
    return records


def truncate_metrics(run_dir: Path, last_step: int) -> None:
    """Drop metrics written after ``last_step`` (work lost since the checkpoint we resume)."""
    kept = [record for record in read_metrics(run_dir) if record.get("step", 0) <= last_step]
    text = "".join(json.dumps(record) + "\n" for record in kept)
    write_atomic(Path(run_dir) / METRICS_FILE, lambda stream: stream.write(text.encode()))


@dataclass
class LoadedRun:
    """A trained run, ready for inference: networks in eval mode on ``device``."""

    run_dir: Path
    config: TrainConfig
    spec: LatentSpec
    generator: Generator
    discriminator: Discriminator
    step: int
    device: torch.device

    def sample(self, count: int, seed: int = 0, codes: dict[str, float | int] | None = None) -> torch.Tensor:
        """``count`` generated images (N, C, H, W) with the named codes fixed, e.g. {"c1": 3}."""
        if count < 1:
            raise InfoganError(f"number of images must be positive, got {count}")
        return generate(self.generator, self.spec, codes_batch(self.spec, count, seed, codes, self.device))

    def encode(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Q's posterior per code for images (N, C, H, W): uint8 0-255 or floats in G's range."""
        if images.dtype == torch.uint8:
            images = to_float_images(images, get_architecture(self.config.architecture).output_activation)
        return encode(self.discriminator, self.spec, images)

    def predict(self, images: torch.Tensor, code: str | None = None) -> torch.Tensor:
        """Most probable category (N,) of a categorical code (default: the first) per image."""
        name = code or (self.spec.categorical[0].name if self.spec.categorical else None)
        if name is None or not self.spec.code(name).is_categorical:
            raise InfoganError("predict needs a categorical code")
        return self.encode(images)[name].argmax(dim=1).cpu()


def build_models(config: TrainConfig) -> tuple[Generator, Discriminator]:
    arch = get_architecture(config.architecture)
    latent = config.latent
    return build_networks(arch, latent.generator_input_size, latent.q_output_size, config.leaky_slope, config.weight_init)


def load_run(run_dir: str | Path, device: str = "cpu", checkpoint: str | Path | None = None) -> LoadedRun:
    """Load a run's newest valid checkpoint (or the one named) for generating and encoding."""
    run_dir = Path(run_dir)
    config = read_config(run_dir)
    target = resolve_device(device)
    if checkpoint is not None:
        state = load_checkpoint(Path(checkpoint), target)
    else:
        if not list_checkpoints(run_dir / CHECKPOINT_DIR):
            raise CheckpointError(f"{run_dir} has no checkpoints yet")
        state = load_latest_checkpoint(run_dir / CHECKPOINT_DIR, target)
        if state is None:
            raise CheckpointError(f"no checkpoint in {run_dir / CHECKPOINT_DIR} could be loaded")
    generator, discriminator = build_models(config)
    try:
        generator.load_state_dict(state["generator"])
        discriminator.load_state_dict(state["discriminator"])
    except RuntimeError:
        raise CheckpointError(f"checkpoint in {run_dir} does not match its config.json architecture") from None
    generator.to(target).eval()
    discriminator.to(target).eval()
    return LoadedRun(run_dir, config, config.latent, generator, discriminator, int(state["step"]), target)
