"""Checkpoints: one self-describing dict, written atomically, loaded without unpickling code.

A checkpoint holds ``{"version", "step", "config", "generator", "discriminator",
"optimizer_g", "optimizer_d", "rng"}``: tensors, numbers, strings, lists and dicts only,
so ``torch.load(weights_only=True)`` reads it and a planted pickle is refused.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import torch

from infogan.errors import CheckpointError, InfoganError

FORMAT_VERSION = 1
CHECKPOINT_PATTERN = re.compile(r"^step_(\d{8})\.pt$")
REQUIRED_KEYS = ("version", "step", "config", "generator", "discriminator", "optimizer_g", "optimizer_d", "rng")


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.pt"


def write_atomic(path: Path, write: callable) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, fsync, then rename over it.

    The previous file at ``path`` stays complete until the rename; a crash or a full disk
    leaves at worst a stray temporary file, which is removed when we can.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InfoganError(f"could not write {path}: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def save_checkpoint(path: Path, state: dict) -> None:
    """Write a checkpoint dict atomically."""
    write_atomic(path, lambda stream: torch.save(state, stream))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint safely: tensors and plain data only, every required key present."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {path}") from None
    except pickle.UnpicklingError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "unsafe content"
        raise CheckpointError(f"{path} holds objects a safe load refuses ({first_line[:160]})") from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError, KeyError, IndexError) as error:
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
            warnings.warn(f"skipping checkpoint: {error}", stacklevel=2)
    return None


def prune_checkpoints(folder: Path, keep: int, protected: set[Path] = frozenset()) -> None:
    """Delete all but the newest ``keep`` checkpoints (and any ``protected`` ones)."""
    for _, path in list_checkpoints(folder)[:-keep]:
        if path not in protected:
            path.unlink(missing_ok=True)
