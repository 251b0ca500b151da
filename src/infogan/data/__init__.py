"""Data sets as uint8 tensors in memory, and a seeded batch sampler over them."""

from __future__ import annotations

from pathlib import Path

import torch

from infogan.data.idx import LabelledImages, load_mnist
from infogan.errors import DataError

DATASETS = ("mnist",)


def load_dataset(name: str, split: str, data_dir: str | Path | None = None) -> LabelledImages:
    """A named data set's split as uint8 images (N, C, H, W) and int64 labels (N,)."""
    if name == "mnist":
        return load_mnist(split, data_dir)
    raise DataError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")


def to_float_images(images: torch.Tensor, output_activation: str = "sigmoid") -> torch.Tensor:
    """uint8 images (B, C, H, W) -> float32 in [0, 1] (sigmoid G) or [-1, 1] (tanh G)."""
    scaled = images.float().div_(255.0)
    return scaled if output_activation == "sigmoid" else scaled.mul_(2).sub_(1)


class EpochSampler:
    """Batches of indices, a fresh random permutation each epoch, from a seeded generator.

    Its whole state (generator state, the current permutation and position) round-trips
    through ``state_dict`` so that a resumed run draws exactly the batches it would have.
    """

    def __init__(self, size: int, batch_size: int, seed: int):
        if batch_size > size:
            raise DataError(f"batch size {batch_size} exceeds the data set's {size} images")
        self.size, self.batch_size = size, batch_size
        self.rng = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(size, generator=self.rng)
        self.position = 0

    def next_indices(self) -> torch.Tensor:
        """Indices (batch_size,) of the next batch; a partial last batch is dropped."""
        if self.position + self.batch_size > self.size:
            self.order = torch.randperm(self.size, generator=self.rng)
            self.position = 0
        indices = self.order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        return indices

    def state_dict(self) -> dict:
        return {"rng": self.rng.get_state(), "order": self.order.clone(), "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.rng.set_state(state["rng"])
        self.order = state["order"].clone()
        self.position = int(state["position"])
