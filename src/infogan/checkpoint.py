"""Checkpoints: one self-describing dict, written atomically, loaded without unpickling code.

A checkpoint holds ``{"version", "step", "elapsed_s", "config", "generator", "discriminator",
"optimizer_g", "optimizer_d", "interval_means", "best_accuracy", "rng"}``: tensors, numbers,
strings, lists and dicts only, so ``torch.load(weights_only=True)`` reads it and a planted
pickle is refused; an fp16 run adds its ``loss_scaler`` state. A run with InfoGAN-CR's
regulariser (``cr_weight`` > 0) adds ``"contrastive": {"head", "optimizer"}``, the CR network
and its Adam; other runs' checkpoints have no such key. The networks are saved bare
(``training_modules.bare_network``), so a checkpoint is the same file whether one process or
many, with or without autocast or ``torch.compile``, trained it. ``rng`` holds every random
state a run draws from (the latent stream, the data order, and torch's, NumPy's and Python's
global generators), so a resumed run continues bit for bit.

A run's ``checkpoints/`` folder holds the newest ``keep_checkpoints`` files
``step_XXXXXXXX.pt`` (older ones are pruned) and ``best.pt``: the checkpoint with the best
evaluation accuracy of the first categorical code so far (``eval/c1/accuracy`` for the
MNIST presets), with ``{"best": {"metric", "value"}}`` added. ``best.pt`` does not match the
step pattern, so it is never pruned and never chosen by a resume, which continues from the
newest step file that loads.
"""

from __future__ import annotations

import json
import pickle
import random
import re
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from infogan.config import TrainConfig
from infogan.errors import CheckpointError, InfoganError, InfoganWarning
from infogan.files import write_atomic
from infogan.optim import load_optimizer_state
from infogan.training_modules import bare_network

if TYPE_CHECKING:
    from infogan.trainer import TrainingState

FORMAT_VERSION = 1
CHECKPOINT_PATTERN = re.compile(r"^step_(\d{8})\.pt$")
BEST_NAME = "best.pt"
REQUIRED_KEYS = ("version", "step", "config", "generator", "discriminator", "optimizer_g", "optimizer_d", "rng")


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.pt"


class _KeepWriteError:
    """A stream that remembers the OSError of a failed write: torch.save turns it into an opaque RuntimeError."""

    def __init__(self, stream):
        self.stream, self.error = stream, None

    def write(self, data: bytes) -> int:
        try:
            return self.stream.write(data)
        except OSError as error:
            self.error = error
            raise

    def flush(self) -> None:
        self.stream.flush()


def save_checkpoint(path: Path, state: dict) -> None:
    """Write a checkpoint dict atomically; a full disk is an InfoganError, the old file is kept."""

    def write(stream) -> None:
        keeper = _KeepWriteError(stream)
        try:
            torch.save(state, keeper)
        except RuntimeError:
            if keeper.error is None:
                raise
            raise keeper.error from None

    write_atomic(path, write)


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint safely: tensors and plain data only, every required key present."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {path}") from None
    except pickle.UnpicklingError as error:
        # torch's message is a paragraph of advice around one line that says what was refused.
        boilerplate = ("Weights only load failed", "Please file an issue", "Check the documentation")
        reasons = [
            line.strip()
            for line in str(error).splitlines()
            if line.strip() and not line.strip().startswith(boilerplate)
        ]
        reason = reasons[0] if reasons else "unsafe content"
        raise CheckpointError(f"{path} holds objects a safe load refuses ({reason[:160]})") from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError, KeyError, IndexError) as error:
        if Path(path).is_dir():
            raise CheckpointError(f"{path} is a folder, not a checkpoint file") from None
        raise CheckpointError(f"{path} is truncated or corrupt ({type(error).__name__})") from None
    if not isinstance(state, dict) or any(key not in state for key in REQUIRED_KEYS):
        raise CheckpointError(f"{path} is not an infogan checkpoint (keys missing)")
    if state["version"] != FORMAT_VERSION:
        raise CheckpointError(f"{path} has format version {state['version']}, this infogan reads {FORMAT_VERSION}")
    return state


def list_checkpoints(folder: Path) -> list[tuple[int, Path]]:
    """(step, path) of every checkpoint file in ``folder``, oldest first."""
    if not Path(folder).is_dir():
        return []
    found = []
    for path in Path(folder).iterdir():
        match = CHECKPOINT_PATTERN.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def load_latest_checkpoint(folder: Path, map_location: str | torch.device = "cpu") -> dict | None:
    """The newest checkpoint that loads; corrupt newer ones are skipped with a warning."""
    for _, path in reversed(list_checkpoints(folder)):
        try:
            return load_checkpoint(path, map_location)
        except CheckpointError as error:
            warnings.warn(f"skipping checkpoint: {error}", InfoganWarning, stacklevel=2)
    return None


def remove_stray_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files a killed ``write_atomic`` left in ``folder``; returns them."""
    stray = sorted(Path(folder).glob(".*.tmp")) if Path(folder).is_dir() else []
    for path in stray:
        path.unlink(missing_ok=True)
    return stray


def prune_checkpoints(folder: Path, keep: int, protected: set[Path] = frozenset()) -> None:
    """Delete all but the newest ``keep`` step checkpoints (and any ``protected`` ones); ``best.pt`` stays."""
    for _, path in list_checkpoints(folder)[:-keep]:
        if path not in protected:
            path.unlink(missing_ok=True)


def state_to_checkpoint(state: TrainingState, config: TrainConfig) -> dict:
    """The checkpoint dict of a training state: tensors and plain data only."""
    checkpoint = {
        "version": FORMAT_VERSION,
        "step": state.step,
        "elapsed_s": state.elapsed_s,
        "config": config.to_json(),
        "generator": bare_network(state.generator).state_dict(),
        "discriminator": bare_network(state.discriminator).state_dict(),
        "optimizer_g": state.optimizer_g.state_dict(),
        "optimizer_d": state.optimizer_d.state_dict(),
        "interval_means": state.interval_means.state_dict(),
        "best_accuracy": state.best_accuracy,
        "rng": {"latent": state.latent_rng.get_state(), "sampler": state.sampler.state_dict(), **capture_global_rng()},
        **({"loss_scaler": state.loss_scaler.state_dict()} if state.loss_scaler.is_enabled() else {}),
    }
    if state.contrastive is not None:
        checkpoint["contrastive"] = {
            "head": state.contrastive.head.state_dict(),
            "optimizer": state.contrastive.optimizer.state_dict(),
        }
    return checkpoint


def restore_from_checkpoint(state: TrainingState, checkpoint: dict, config: TrainConfig) -> None:
    """Load a checkpoint into ``state``; refuse one whose architecture, data set or codes differ."""
    try:
        saved = TrainConfig.from_dict(json.loads(checkpoint["config"]))
    except (TypeError, ValueError, InfoganError):
        raise CheckpointError("the checkpoint's config is unreadable") from None
    if saved.identity() != config.identity():
        raise CheckpointError(
            "the checkpoint was trained with another architecture, dataset or latent spec; "
            "resume with the run's own settings or start a new run with --out"
        )
    try:
        bare_network(state.generator).load_state_dict(checkpoint["generator"])
        bare_network(state.discriminator).load_state_dict(checkpoint["discriminator"])
        if "loss_scaler" in checkpoint and state.loss_scaler.is_enabled():
            state.loss_scaler.load_state_dict(checkpoint["loss_scaler"])
        load_optimizer_state(state.optimizer_g, checkpoint["optimizer_g"])
        load_optimizer_state(state.optimizer_d, checkpoint["optimizer_d"])
        if state.contrastive is not None:
            state.contrastive.head.load_state_dict(checkpoint["contrastive"]["head"])
            load_optimizer_state(state.contrastive.optimizer, checkpoint["contrastive"]["optimizer"])
        rng = checkpoint["rng"]
        restore_global_rng(rng)
        state.latent_rng.set_state(rng["latent"])
        state.sampler.load_state_dict(rng["sampler"])
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"checkpoint does not fit the networks: {str(error).splitlines()[0][:160]}") from None
    state.step = int(checkpoint["step"])
    state.elapsed_s = float(checkpoint.get("elapsed_s", 0.0))
    saved_means = checkpoint.get("interval_means", {"sums": {}, "count": 0})
    state.interval_means.load_state_dict(saved_means)
    state.best_accuracy = checkpoint.get("best_accuracy")


def capture_global_rng() -> dict:
    """The process-wide random states of torch, NumPy and Python, as tensors and lists."""
    _, numpy_keys, numpy_position, has_gauss, cached_gauss = np.random.get_state()
    python_version, python_state, python_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "numpy": [torch.from_numpy(numpy_keys.astype(np.int64)), numpy_position, has_gauss, cached_gauss],
        "python": [python_version, list(python_state), python_gauss],
    }


def restore_global_rng(saved: dict) -> None:
    """Set torch's, NumPy's and Python's global generators to ``capture_global_rng``'s states."""
    torch.set_rng_state(saved["torch"])
    numpy_keys, numpy_position, has_gauss, cached_gauss = saved["numpy"]
    np.random.set_state(("MT19937", numpy_keys.numpy().astype(np.uint32), numpy_position, has_gauss, cached_gauss))
    python_version, python_state, python_gauss = saved["python"]
    random.setstate((python_version, tuple(python_state), python_gauss))
