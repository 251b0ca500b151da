"""The original dSprites file, ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`` (Matthey et al., 2017).

Its arrays: ``imgs`` (737280, 64, 64) uint8 0/1, ``latents_values`` (737280, 6) float64 and
``latents_classes`` (737280, 6) int64, columns colour, shape, scale, orientation, position x,
position y, rows in the grid's order (position y fastest); plus a pickled ``metadata`` entry,
which is never loaded (unpickling a file can run code). A ``.npz`` with ``imgs`` and a
``latents_*`` array is read as one, before the generic ``.npz`` reader.

The grid sizes come from ``latents_classes`` (so a sub-grid in the same format reads too);
the constant colour column is dropped, leaving the factors of ``infogan.data.rendered.dsprites``.
The images are converted once, streamed in chunks, into packed bits in the cache
(``$INFOGAN_CACHE/data/dsprites-file-<key>.bits.npy``, keyed by the file's path, size and
modification time) and memory-mapped from there: 377 MB, never the 3 GB of uint8 pixels.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from infogan.data.folder import cache_folder
from infogan.data.packed import GridGroundTruth, PackedImages, pack_images
from infogan.data.rendered.base import Factor
from infogan.data.rendered.dsprites import FACTORS, SHAPE_NAMES, sample_test_indices
from infogan.errors import DataError

KEYS = ("imgs", "latents_values", "latents_classes")
COLUMNS = 6  # colour, then the five factors
CACHE_VERSION = 1
CHUNK_ROWS = 16_384  # images converted at a time (64 MB of uint8)


def is_dsprites_npz(path: Path) -> bool:
    """Whether ``path`` is a ``.npz`` holding ``imgs`` and a ``latents_*`` array."""
    if Path(path).suffix != ".npz" or not Path(path).is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False
    return "imgs.npy" in names and bool({"latents_values.npy", "latents_classes.npy"} & names)


@dataclass(frozen=True)
class DSpritesFile:
    """A checked dSprites file: its packed images (N, 1, S, S), factor values (N, 5) (shape as its
    class 0..K-1 among the file's shapes), the ``Factor`` rows and the grid sizes (5,)."""

    images: PackedImages
    factors: np.ndarray
    factor_spec: tuple[Factor, ...]
    factor_sizes: tuple[int, ...]

    def ground_truth(self) -> GridGroundTruth:
        return GridGroundTruth(self.images, self.factor_sizes)


def _read_latents(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``latents_values`` (N, 6) float64 and ``latents_classes`` (N, 6) int64, checked."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in KEYS if key not in archive.files]
            if missing:
                raise DataError(f"{path} is not a complete dSprites file: it lacks {', '.join(missing)}")
            values, classes = archive["latents_values"], archive["latents_classes"]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"cannot read {path} ({str(error).splitlines()[0][:120]})") from None
    for name, array, kind in (("latents_values", values, np.floating), ("latents_classes", classes, np.integer)):
        if array.ndim != 2 or array.shape[1] != COLUMNS or not np.issubdtype(array.dtype, kind):
            raise DataError(f"{path}: {name} must be {kind.__name__} (N, {COLUMNS}), got {array.dtype} {array.shape}")
    if len(values) != len(classes):
        raise DataError(f"{path}: {len(values)} rows of latents_values but {len(classes)} of latents_classes")
    return values.astype(np.float64), classes.astype(np.int64)


def _grid_sizes(path: Path, classes: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """The grid sizes (5,) of the factor columns and each row's rank (N, 5) among its column's
    classes, after checking that the rows are the whole grid in order (last column fastest)."""
    if len(np.unique(classes[:, 0])) != 1:
        raise DataError(f"{path}: the colour column of latents_classes must be constant")
    columns = [np.unique(classes[:, j], return_inverse=True) for j in range(1, COLUMNS)]
    sizes = tuple(len(unique) for unique, _ in columns)
    ranks = np.stack([inverse.reshape(-1) for _, inverse in columns], axis=1)
    if min(sizes) < 2:
        raise DataError(f"{path}: every factor needs at least 2 values, got grid sizes {sizes}")
    if len(classes) != int(np.prod(sizes)) or not np.array_equal(
        np.ravel_multi_index(ranks.T, sizes), np.arange(len(classes))
    ):
        raise DataError(
            f"{path}: its {len(classes)} rows are not the whole grid {sizes} in dSprites' order (position y fastest)"
        )
    return sizes, ranks


def _factor_spec(values: np.ndarray, classes: np.ndarray, sizes: tuple[int, ...]) -> tuple[Factor, ...]:
    """The ``Factor`` rows of the file's grid: dSprites' factors with the file's sizes and ranges."""
    shape_names = tuple(SHAPE_NAMES[c] if 0 <= c < len(SHAPE_NAMES) else str(c) for c in np.unique(classes[:, 1]))
    spec = [replace(FACTORS[0], size=sizes[0], names=shape_names)]
    for j, factor in enumerate(FACTORS[1:], start=1):
        column = values[:, j + 1]
        spec.append(replace(factor, size=sizes[j], low=float(column.min()), high=float(column.max())))
    return tuple(spec)


def _open_images(archive: zipfile.ZipFile, path: Path, count: int):
    """The ``imgs`` member as a stream positioned at its first pixel, and the image side."""
    stream = archive.open("imgs.npy")
    version = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(stream)
    if len(shape) != 3 or shape[1] != shape[2] or dtype != np.uint8 or fortran_order:
        stream.close()
        raise DataError(f"{path}: imgs must be uint8 (N, S, S) in C order, got {dtype} {shape}")
    if shape[0] != count:
        stream.close()
        raise DataError(f"{path}: {shape[0]} images but {count} rows of latents")
    return stream, shape[1]


def _pack_file_images(path: Path, count: int) -> PackedImages:
    """The file's ``imgs`` as packed bits, converted chunk by chunk (never all as uint8)."""
    try:
        with zipfile.ZipFile(path) as archive:
            stream, side = _open_images(archive, path, count)
            with stream:
                bits = np.empty((count, -(-side * side // 8)), np.uint8)
                for start in range(0, count, CHUNK_ROWS):
                    rows = min(CHUNK_ROWS, count - start)
                    data = stream.read(rows * side * side)
                    if len(data) != rows * side * side:
                        raise DataError(f"{path}: imgs is truncated ({start + len(data) // side**2} of {count} images)")
                    pixels = np.frombuffer(data, np.uint8).reshape(rows, side * side)
                    if pixels.max(initial=0) > 1:
                        raise DataError(f"{path}: imgs must hold 0/1 pixels, found {int(pixels.max())}")
                    bits[start : start + rows] = pack_images(pixels)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"cannot read the images of {path} ({str(error).splitlines()[0][:120]})") from None
    return PackedImages(bits, (1, side, side))


def _cache_path(path: Path) -> Path:
    status = path.stat()
    identity = {"path": str(path.resolve()), "size": status.st_size, "mtime": status.st_mtime_ns, "v": CACHE_VERSION}
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return cache_folder() / f"dsprites-file-{key}.bits.npy"


def load_dsprites_file(path: str | Path) -> DSpritesFile:
    """The checked file (see the module docstring); its images are packed into the cache the first time."""
    path = Path(path)
    values, classes = _read_latents(path)
    sizes, ranks = _grid_sizes(path, classes)
    cached = _cache_path(path)
    if not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        _pack_file_images(path, len(classes)).save(cached)
    bits = np.load(cached, mmap_mode="r", allow_pickle=False)
    side = math.isqrt(bits.shape[1] * 8)
    if len(bits) != len(classes) or side * side != bits.shape[1] * 8:
        raise DataError(f"the cache {cached} does not match {path}; delete it and read the file again")
    images = PackedImages(bits, (1, side, side))
    factors = np.concatenate([ranks[:, :1].astype(np.float64), values[:, 2:]], axis=1)
    return DSpritesFile(images, factors, _factor_spec(values, classes, sizes), sizes)


def split_of(file: DSpritesFile, split: str) -> tuple[PackedImages | np.ndarray, np.ndarray]:
    """Train: all images (packed) and factor values; test: uint8 images and values of the seeded test indices."""
    if split == "train":
        return file.images, file.factors
    indices = sample_test_indices(len(file.images))
    return file.images.numpy(indices), file.factors[indices]
