"""IDX files (the MNIST format): parsing, checksums of the known sets, any MNIST-format folder.

An IDX file is big-endian: two zero bytes, a type byte (0x08 = uint8), the number of
dimensions, one 4-byte size per dimension, then the values. Files may be gzip-compressed.
MNIST, Fashion-MNIST, KMNIST and EMNIST all ship in this format.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import re
import struct
import zlib
from pathlib import Path

import numpy as np

from infogan.errors import DataError

BUNDLED_MNIST = Path(__file__).parent / "mnist"
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
ROLES = ("train-images", "train-labels", "test-images", "test-labels")
# Known sets: per file, the MD5 of the published .gz file and the MD5 of its decompressed
# content (so a re-compressed copy, such as Debian's, is still recognised as the original).
KNOWN_SETS: dict[str, dict[str, tuple[str, str]]] = {
    "mnist": {
        "train-images": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
        "train-labels": ("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
        "test-images": ("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
        "test-labels": ("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
    },
    "fashion-mnist": {
        "train-images": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
        "train-labels": ("25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
        "test-images": ("bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
        "test-labels": ("bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
    },
}
# Where a named set's files are when no folder is given: bundled, or Debian's package.
DEFAULT_FOLDERS = {"mnist": BUNDLED_MNIST, "fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}
FOLDER_HINTS = {"fashion-mnist": "install Debian's dataset-fashion-mnist or give --data-dir"}


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


def read_idx_file(path: Path, known: tuple[str, str] | None = None) -> np.ndarray:
    """The array in an IDX file (gzip or raw); with ``known`` = (published .gz MD5, content
    MD5), a gzip file must match one of them (an uncompressed copy is read as it is)."""
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"missing data file {path}") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    raw = stored
    if stored[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(stored)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(f"{path}: gzip data is corrupt or truncated ({error})") from None
    compressed = raw is not stored
    if (
        compressed
        and known is not None
        and hashlib.md5(stored).hexdigest() not in known
        and hashlib.md5(raw).hexdigest() != known[1]
    ):
        raise DataError(f"{path}: MD5 does not match the published {known[0]} (corrupt download?)")
    return parse_idx(raw, str(path))


def find_idx_files(folder: Path) -> dict[str, Path]:
    """The IDX files of an MNIST-format folder by role (``train-images``, ``train-labels``,
    ``test-images``, ``test-labels``), matched by name as MNIST, Fashion-MNIST, KMNIST and
    EMNIST name them (``t10k-`` or ``test-``, optional prefix, optional ``.gz``)."""
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).iterdir()):
        name = path.name.lower().replace("t10k-", "test-")
        for role in ROLES:
            split, kind = role.split("-")
            if re.search(rf"(^|-){split}-{kind}-idx[13]-ubyte(\.gz)?$", name) and path.is_file():
                found.setdefault(role, path)
    return found


def is_idx_folder(folder: Path) -> bool:
    return Path(folder).is_dir() and "train-images" in find_idx_files(folder)


def load_idx_split(folder: Path, split: str, known_set: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Images (N, H, W) uint8 and labels (N,) or None of one split of an MNIST-format folder.

    ``known_set`` ("mnist", "fashion-mnist") checks every file against that set's checksums
    and needs the labels; otherwise the files are read as they are.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"data directory {folder} {'is not a folder' if folder.exists() else 'does not exist'}")
    files = find_idx_files(folder)
    checksums = KNOWN_SETS.get(known_set or "", {})
    image_path = files.get(f"{split}-images")
    if image_path is None:
        raise DataError(f"no {split} images (*{split}-images-idx3-ubyte[.gz]) in {folder}")
    images = read_idx_file(image_path, checksums.get(f"{split}-images"))
    label_path = files.get(f"{split}-labels")
    if label_path is None and known_set is not None:
        raise DataError(f"missing {known_set} file {split}-labels-idx1-ubyte(.gz) in {folder}")
    labels = read_idx_file(label_path, checksums.get(f"{split}-labels")) if label_path is not None else None
    if images.ndim != 3 or (labels is not None and labels.ndim != 1):
        raise DataError(f"{image_path}: expected images (N, H, W) and labels (N,), got {images.shape}")
    if labels is not None and images.shape[0] != labels.shape[0]:
        raise DataError(f"{image_path} holds {images.shape[0]} images but {label_path} holds {labels.shape[0]} labels")
    return images, labels


def named_set_folder(name: str, data_dir: str | Path | None) -> Path:
    """The folder of a known set: ``data_dir``, else its default place."""
    folder = Path(data_dir) if data_dir is not None else DEFAULT_FOLDERS[name]
    if data_dir is None and not folder.is_dir():
        raise DataError(f"the {name} files are not in {folder}; {FOLDER_HINTS.get(name, 'give --data-dir')}")
    return folder
