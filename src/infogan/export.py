"""Export a trained generator as one ``.safetensors`` file, and load it back without its run.

The file holds G's state dict (weights and batch-norm statistics) and, as safetensors'
string metadata, what is needed to rebuild and drive it:

    format        "infogan-generator"
    version       "1"
    architecture  the architecture name, e.g. "mnist"
    latent        the LatentSpec as JSON
    config        the run's TrainConfig as JSON
    step          the training step of the exported checkpoint

safetensors holds raw tensors only, so loading a file never runs code from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from infogan.config import TrainConfig
from infogan.devices import resolve_device
from infogan.errors import InfoganError
from infogan.files import check_output_file, write_atomic
from infogan.latent import LatentSpec
from infogan.loaded_run import GeneratesImages, LoadedRun
from infogan.networks import Generator, architecture_of

EXPORT_FORMAT = "infogan-generator"
EXPORT_VERSION = "1"


def export_generator(run: LoadedRun, path: str | Path) -> Path:
    """Write ``run``'s generator with its latent spec, architecture and config; returns the path."""
    path = check_output_file(path, (".safetensors",), "export file")
    tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in run.generator.state_dict().items()}
    metadata = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "architecture": run.config.architecture,
        "latent": json.dumps(run.spec.to_dict()),
        "config": run.config.to_json(),
        "step": str(run.step),
    }
    data = save(tensors, metadata)
    write_atomic(path, lambda stream: stream.write(data))
    return path


def _read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            names = handle.keys()  # a safe_open handle, not a dict: keys() is its only listing
            return {name: handle.get_tensor(name) for name in names}, handle.metadata() or {}
    except FileNotFoundError:
        raise InfoganError(f"no exported generator at {path}") from None
    except (SafetensorError, OSError) as error:
        raise InfoganError(f"{path} is not a readable .safetensors file ({str(error).splitlines()[0][:120]})") from None


@dataclass
class ExportedGenerator(GeneratesImages):
    """An exported generator, ready for inference: the same ``sample`` as a ``LoadedRun``."""

    generator: Generator
    spec: LatentSpec
    config: TrainConfig
    step: int
    device: torch.device

    @property
    def architecture(self) -> str:
        return self.config.architecture


def load_exported(path: str | Path, device: str = "cpu") -> ExportedGenerator:
    """An exported generator from a ``.safetensors`` file, in eval mode on ``device``."""
    path = Path(path)
    tensors, metadata = _read(path)
    if metadata.get("format") != EXPORT_FORMAT:
        raise InfoganError(f"{path} is not an infogan generator export (no format={EXPORT_FORMAT} metadata)")
    if metadata.get("version") != EXPORT_VERSION:
        raise InfoganError(f"{path} has export version {metadata.get('version')}, this infogan reads {EXPORT_VERSION}")
    try:
        spec = LatentSpec.from_dict(json.loads(metadata["latent"]))
        config = TrainConfig.from_dict(json.loads(metadata["config"]))
        step = int(metadata["step"])
    except (KeyError, ValueError, TypeError) as error:
        raise InfoganError(f"{path} has malformed metadata ({type(error).__name__}: {error})") from None
    try:
        arch = architecture_of(config)
    except InfoganError as error:
        raise InfoganError(f"{path}: {error}") from None
    generator = Generator(arch, spec.generator_input_size)
    try:
        generator.load_state_dict(tensors)
    except RuntimeError:
        raise InfoganError(
            f"{path}: the weights do not fit a {metadata['architecture']} generator for its latent spec"
        ) from None
    target = resolve_device(device)
    return ExportedGenerator(generator.to(target).eval(), spec, config.with_changes(latent=spec), step, target)


def load_generator(path: str | Path) -> tuple[Generator, LatentSpec, str]:
    """(generator in eval mode on the CPU, latent spec, architecture name) from an export file."""
    exported = load_exported(path)
    return exported.generator, exported.spec, exported.architecture
