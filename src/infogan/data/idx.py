"""IDX files (the MNIST format): parsing, MD5 checks and the MNIST splits as uint8 tensors.

An IDX file is big-endian: two zero bytes, a type byte (0x08 = uint8), the number of
dimensions, one 4-byte size per dimension, then the values. Files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from infogan.errors import DataError

BUNDLED_MNIST = Path(__file__).parent / "mnist"
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049


def parse_idx(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """The uint8 array stored in IDX bytes (already decompressed)."""
    if len(raw) < 4:
        raise DataError(f"{name}: truncated IDX header ({len(raw)} bytes)")
    zero, dtype_code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or dtype_code != 0x08:
        magic = struct.unpack(">I", raw[:4])[0]
        raise DataError(f"{name}: wrong magic number {magic} (expected a uint8 IDX file, e.g. 2051 or 2049)")
    if not 1 <= ndim <= 4:
        raise DataError(f"{name}: IDX file has {ndim} dimensions, expected 1 to 4")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"{name}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    if 0 in shape:
        # NumPy refuses an empty shape such as (0, 2**21, 2**21, 2**21) as "too big".
        raise DataError(f"{name}: IDX header gives an empty shape {shape}")
    expected = math.prod(shape)  # Python ints: four 32-bit sizes overflow int64
    if len(raw) - header_size != expected:
        raise DataError(
            f"{name}: IDX header promises {expected} values of shape {shape}, "
            f"file holds {len(raw) - header_size} (truncated or corrupt)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def read_idx_file(path: Path, expected_md5: str | None = None) -> np.ndarray:
    """Read an IDX file (gzip or raw), checking the MD5 of the file as stored when given."""
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"missing data file {path}") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    if expected_md5 is not None and path.suffix == ".gz":
        actual = hashlib.md5(stored).hexdigest()
        if actual != expected_md5:
            raise DataError(f"{path}: MD5 {actual} does not match the published {expected_md5} (corrupt download?)")
    if stored[:2] == b"\x1f\x8b":
        try:
            stored = gzip.decompress(stored)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(f"{path}: gzip data is corrupt or truncated ({error})") from None
    return parse_idx(stored, str(path))


def _find_file(data_dir: Path, stem: str) -> Path:
    for candidate in (data_dir / f"{stem}.gz", data_dir / stem):
        if candidate.exists():
            return candidate
    raise DataError(f"missing MNIST file {stem}(.gz) in {data_dir}")


@dataclass
class LabelledImages:
    """Images (N, C, H, W) uint8 and labels (N,) int64, held in memory."""

    images: torch.Tensor
    labels: torch.Tensor


def load_mnist(split: str = "train", data_dir: str | Path | None = None) -> LabelledImages:
    """MNIST ``train`` (60,000) or ``test`` (10,000) as uint8 (N, 1, 28, 28) and labels (N,)."""
    if split not in ("train", "test"):
        raise DataError(f"unknown MNIST split {split!r} (train or test)")
    folder = Path(data_dir) if data_dir is not None else BUNDLED_MNIST
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise DataError(f"data directory {folder} {what}")
    image_stem, image_md5 = MNIST_FILES[f"{split}_images"]
    label_stem, label_md5 = MNIST_FILES[f"{split}_labels"]
    image_path, label_path = _find_file(folder, image_stem), _find_file(folder, label_stem)
    images = read_idx_file(image_path, image_md5)
    labels = read_idx_file(label_path, label_md5)
    if images.ndim != 3 or labels.ndim != 1:
        raise DataError(
            f"{image_path}: expected images (N, H, W) and labels (N,), got {images.shape} and {labels.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{image_path} holds {images.shape[0]} images but {label_path} holds {labels.shape[0]} labels")
    image_tensor = torch.from_numpy(images.copy()).unsqueeze(1)  # (N, 1, 28, 28) uint8
    return LabelledImages(image_tensor, torch.from_numpy(labels.astype(np.int64)))
