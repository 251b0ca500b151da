"""SVHN's cropped-digit .mat files (train_32x32.mat, test_32x32.mat, extra_32x32.mat).

Each holds ``X``, uint8 (32, 32, 3, N), and ``y``, (N, 1) with the digit 0 stored as 10
(Netzer et al., 2011). ``--data FOLDER`` reads ``train_32x32.mat`` and ``test_32x32.mat`` in
it; ``--data FILE.mat`` reads that file as the training split and ``test_32x32.mat`` beside
it, when there, as the test split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from infogan.errors import DataError

SPLIT_FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}


def is_svhn_source(path: Path) -> bool:
    return path.suffix == ".mat" or (path.is_dir() and (path / SPLIT_FILES["train"]).is_file())


def svhn_file(path: Path, split: str) -> Path | None:
    """The .mat file of ``split`` for a folder or a training file; None if there is none."""
    if path.is_dir():
        candidate = path / SPLIT_FILES[split]
    else:
        candidate = path if split == "train" else path.with_name(SPLIT_FILES["test"])
        if split == "test" and candidate == path:
            return None
    return candidate if candidate.is_file() else None


def load_svhn_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (N, 3, 32, 32) and labels (N,) int64 in 0-9 from one SVHN .mat file."""
    try:
        contents = scipy.io.loadmat(path)
    except FileNotFoundError:
        raise DataError(f"{path} does not exist") from None
    except (OSError, ValueError, TypeError, NotImplementedError) as error:
        raise DataError(f"cannot read {path} as a .mat file ({str(error).splitlines()[0][:100]})") from None
    if "X" not in contents or "y" not in contents:
        names = ", ".join(key for key in contents if not key.startswith("__"))
        raise DataError(f"{path} has no X and y arrays (SVHN's layout); it holds {names or 'none'}")
    images, labels = np.asarray(contents["X"]), np.asarray(contents["y"]).reshape(-1)
    if images.ndim != 4 or images.shape[2] != 3 or images.dtype != np.uint8:
        raise DataError(f"{path}: X must be uint8 (H, W, 3, N), got {images.dtype} {images.shape}")
    if len(labels) != images.shape[3]:
        raise DataError(f"{path}: {len(labels)} labels for {images.shape[3]} images")
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() > 10):
        raise DataError(f"{path}: SVHN labels are 1-10 (10 is the digit 0), got {labels.min()} to {labels.max()}")
    return np.ascontiguousarray(images.transpose(3, 2, 0, 1)), np.where(labels == 10, 0, labels)
