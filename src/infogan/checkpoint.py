"""Checkpoints: one self-describing dict, written atomically, loaded without unpickling code.

A checkpoint holds ``{"version", "step", "config", "generator", "discriminator",
"optimizer_g", "optimizer_d", "rng"}``: tensors, numbers, strings, lists and dicts only,
so ``torch.load(weights_only=True)`` reads it and a planted pickle is refused.

A run's ``checkpoints/`` folder holds the newest ``keep_checkpoints`` files
``step_XXXXXXXX.pt`` (older ones are pruned) and ``best.pt``: the checkpoint with the best
evaluation accuracy of the first categorical code so far (``eval/c1/accuracy`` for the
MNIST presets), with ``{"best": {"metric", "value"}}`` added. ``best.pt`` does not match the
step pattern, so it is never pruned and never chosen by a resume, which continues from the
newest step file that loads.
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

from infogan.errors import CheckpointError, InfoganError, InfoganWarning

FORMAT_VERSION = 1
CHECKPOINT_PATTERN = re.compile(r"^step_(\d{8})\.pt$")
BEST_NAME = "best.pt"
REQUIRED_KEYS = ("version", "step", "config", "generator", "discriminator", "optimizer_g", "optimizer_d", "rng")


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.pt"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, write: callable) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, fsync, then rename over it.

    The previous file at ``path`` stays complete until the rename; a crash or a full disk
    leaves at worst a stray temporary file, which is removed when we can.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(handle, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the usual permissions
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
        reasons = [line.strip() for line in str(error).splitlines() if line.strip() and not line.strip().startswith(boilerplate)]
        reason = reasons[0] if reasons else "unsafe content"
        raise CheckpointError(f"{path} holds objects a safe load refuses ({reason[:160]})") from None
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
