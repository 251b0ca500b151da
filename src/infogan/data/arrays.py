"""Images from NumPy files (.npz, .npy) and any in-memory array, checked and laid out as (N, C, H, W).

An array of images may be (N, H, W), (N, H, W, C) or (N, C, H, W) with C = 1 or 3, of dtype
uint8 (0-255) or float (0-1). A ``.npz`` file holds the images under ``x`` and optional labels
under ``y``, or under the names given as ``FILE.npz:IMAGES[,LABELS]``. A ``.npy`` file holds
images only, and is memory-mapped; a ``.npz`` is read into memory.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from infogan.errors import DataError

DEFAULT_KEYS = ("x", "y")


def images_from_array(array: np.ndarray, name: str = "the array") -> np.ndarray:
    """An image array in any of the accepted layouts -> uint8 (N, C, H, W), C in {1, 3}."""
    array = np.asarray(array) if not isinstance(array, np.memmap) else array
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4 and array.shape[-1] in (1, 3) and array.shape[1] not in (1, 3):
        array = array.transpose(0, 3, 1, 2)
    elif array.ndim != 4:
        raise DataError(f"{name}: images must be (N, H, W), (N, H, W, C) or (N, C, H, W), got shape {array.shape}")
    if array.shape[1] not in (1, 3):
        raise DataError(f"{name}: images need 1 (grey) or 3 (RGB) channels, got shape {array.shape}")
    if array.shape[0] == 0 or min(array.shape[2:]) < 2:
        raise DataError(f"{name}: no images, or images smaller than 2x2 (shape {array.shape})")
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        low, high = float(np.min(array)), float(np.max(array))  # NaN propagates, and is refused
        if not (low >= 0 and high <= 1):
            raise DataError(f"{name}: float images must be finite and lie in [0, 1], got {low:g} to {high:g}")
        return np.round(array * 255).astype(np.uint8)
    raise DataError(f"{name}: images must be uint8 (0-255) or float (0-1), got dtype {array.dtype}")


def labels_from_array(labels: np.ndarray | None, count: int, name: str = "the labels") -> np.ndarray | None:
    """Labels as int64 (N,), checked against the number of images; None stays None."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.ndim == 2 and 1 in labels.shape:
        labels = labels.reshape(-1)
    if labels.ndim != 1 or not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        raise DataError(f"{name}: labels must be integers of shape (N,), got {labels.dtype} {labels.shape}")
    if len(labels) != count:
        raise DataError(f"{name}: {len(labels)} labels for {count} images")
    if len(labels) and labels.min() < 0:
        raise DataError(f"{name}: labels must be >= 0, got {labels.min()}")
    return labels.astype(np.int64)


def split_npz_source(source: str) -> tuple[Path, tuple[str, str | None]]:
    """``FILE.npz[:IMAGES[,LABELS]]`` -> (path, (images key, labels key or None))."""
    path_text, colon, keys = source.partition(".npz:")
    if not colon:
        return Path(source), DEFAULT_KEYS
    names = [key.strip() for key in keys.split(",")]
    if not names[0] or len(names) > 2:
        raise DataError(f"{source}: name the arrays as FILE.npz:IMAGES or FILE.npz:IMAGES,LABELS")
    return Path(path_text + ".npz"), (names[0], names[1] if len(names) > 1 else None)


def load_numpy_file(source: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Images uint8 (N, C, H, W) and labels (N,) or None from a .npy or .npz source."""
    path, (image_key, label_key) = split_npz_source(source)
    if not path.is_file():
        raise DataError(f"{path} {'is not a file' if path.exists() else 'does not exist'}")
    try:
        if path.suffix == ".npy":
            return images_from_array(np.load(path, mmap_mode="c", allow_pickle=False), str(path)), None
        with np.load(path, allow_pickle=False) as archive:
            if image_key not in archive.files:
                raise DataError(
                    f"{path} has no array {image_key!r} (it holds {', '.join(archive.files) or 'none'}); "
                    f"name them as {path}:IMAGES[,LABELS]"
                )
            images = images_from_array(archive[image_key], f"{path}:{image_key}")
            has_labels = label_key is not None and label_key in archive.files
            if label_key is not None and label_key != DEFAULT_KEYS[1] and not has_labels:
                raise DataError(f"{path} has no array {label_key!r} (it holds {', '.join(archive.files)})")
            labels = labels_from_array(archive[label_key], len(images), f"{path}:{label_key}") if has_labels else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"cannot read {path} ({str(error).splitlines()[0][:120]})") from None
    return images, labels
