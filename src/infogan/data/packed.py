"""Binary images kept as bits: ``PackedImages`` reads batches of them as uint8 0/255 tensors.

A set of binary images (N, C, H, W) is stored as ``np.packbits`` of each image's C*H*W
pixels (row-major, most significant bit first): N * C*H*W / 8 bytes, one row per image.
dSprites' 737,280 64x64 images take 377 MB this way instead of 3 GB as uint8, and are
memory-mapped from the cache, so a training split never has to fit in memory as pixels.
``PackedImages`` behaves as much like the uint8 image tensor of an ``ImageSet`` as the
trainer needs: ``len``, ``.shape``, ``.to(device)`` and indexing by a batch of indices.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from infogan.errors import DataError
from infogan.files import write_atomic


def pack_images(images: np.ndarray) -> np.ndarray:
    """Binary images (N, ...) (bool, or uint8 where nonzero is foreground) -> bits uint8 (N, ceil(pixels / 8))."""
    flat = np.asarray(images).reshape(len(images), -1)
    return np.packbits(flat != 0, axis=1)


class PackedImages:
    """Binary images (N, C, H, W) stored as packed bits (``pack_images``), read as uint8 0/255.

    ``bits`` (N, ceil(C*H*W / 8)) uint8 may be a memory map. Indexing with an int, a slice,
    a list, an ndarray or a LongTensor of indices returns a uint8 tensor (B, C, H, W) (an int
    gives (C, H, W)) on ``device``: only the rows asked for are unpacked.
    """

    dtype = torch.uint8

    def __init__(self, bits: np.ndarray, image_shape: tuple[int, int, int], device: torch.device | str = "cpu"):
        self.image_shape = tuple(int(side) for side in image_shape)
        self.pixels = int(np.prod(self.image_shape))
        if bits.ndim != 2 or bits.dtype != np.uint8 or bits.shape[1] != -(-self.pixels // 8):
            raise DataError(f"packed images must be uint8 (N, {-(-self.pixels // 8)}), got {bits.dtype} {bits.shape}")
        self.bits = bits
        self.device = torch.device(device)

    @classmethod
    def load(cls, path: str | Path, image_shape: tuple[int, int, int]) -> PackedImages:
        """The packed images of a ``.npy`` file written by ``save``, memory-mapped read-only."""
        return cls(np.load(path, mmap_mode="r", allow_pickle=False), image_shape)

    def save(self, path: str | Path) -> Path:
        """Write the bits to ``path`` (a ``.npy`` file), atomically."""
        return write_atomic(path, lambda stream: np.save(stream, np.asarray(self.bits)))

    def __len__(self) -> int:
        return self.bits.shape[0]

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self), *self.image_shape))

    def to(self, device: torch.device | str) -> PackedImages:
        """The same bits, with batches delivered on ``device`` (the bits stay in host memory)."""
        return PackedImages(self.bits, self.image_shape, device)

    def numpy(self, indices: object) -> np.ndarray:
        """uint8 0/255 images (B, C, H, W) of ``indices`` (see the class docstring), as a NumPy array."""
        if isinstance(indices, torch.Tensor):
            indices = indices.cpu().numpy()
        single = isinstance(indices, (int, np.integer))
        rows = self.bits[[int(indices)] if single else indices]
        pixels = np.unpackbits(rows, axis=1, count=self.pixels)  # (B, C*H*W) 0/1
        pixels *= 255
        images = pixels.reshape(-1, *self.image_shape)
        return images[0] if single else images

    def __getitem__(self, indices: object) -> torch.Tensor:
        return torch.from_numpy(self.numpy(indices)).to(self.device)

    def __repr__(self) -> str:
        return f"PackedImages(shape={tuple(self.shape)}, device={self.device})"


class GridGroundTruth:
    """A full factor grid stored as packed images, one per grid point in row-major order (the last
    factor fastest), as the sampling metrics' ``GroundTruth``: observations are index lookups.

    Factor j takes the values 0 .. factor_sizes[j] - 1; observations are uint8 0/255 arrays
    (count, C, H, W), as ``RenderedGroundTruth`` gives them.
    """

    def __init__(self, images: PackedImages, factor_sizes: tuple[int, ...]):
        self.images = images
        self.factor_sizes = tuple(int(size) for size in factor_sizes)
        if len(images) != int(np.prod(self.factor_sizes)):
            raise DataError(f"{len(images)} images cannot be a grid of factor sizes {self.factor_sizes}")

    def sample_factors(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Grid indices (count, F), uniform over each factor's values."""
        return np.stack([rng.integers(size, size=count) for size in self.factor_sizes], axis=1)

    def sample_observations_from_factors(self, factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Images uint8 (count, C, H, W) at the grid indices ``factors`` (count, F)."""
        rows = np.ravel_multi_index(np.asarray(factors, np.int64).T, self.factor_sizes)
        return self.images.numpy(rows)
