"""Rendered data sets with known factors: every image carries the factor values that made it.

A ``RenderedSet`` names its factors (``Factor``: categorical, ordinal or circular, with a
range and a grid), draws factor values and renders them into uint8 images (N, C, S, S),
deterministically from the values and a NumPy Generator (which drives only the nuisance
variation that no factor names). From it come:

- the training and test splits of the named data set (``load_rendered_split``): seeded
  draws of the factors, rendered once and cached, as an ``ImageSet`` whose ``factors``
  (N, F) hold each image's factor values and ``factor_spec`` the ``Factor`` rows;
- a ``GroundTruth`` for the sampling metrics (``ground_truth``): factor *indices* on each
  factor's grid, observations rendered from the grid values.

A new rendered set is one module with one ``@register``-ed subclass, imported in
``infogan.data.rendered``; ``infogan.data`` then serves it as a named set.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from tqdm import tqdm

from infogan.data.folder import cache_folder
from infogan.errors import DataError
from infogan.files import write_atomic

FactorKind = Literal["categorical", "ordinal", "circular"]
SPLIT_SEEDS = {"train": 0, "test": 1}  # the factor draws of each split come from these seeds


@dataclass(frozen=True)
class Factor:
    """One factor of variation.

    ``categorical``: classes 0 .. size-1 (``names`` may label them). ``ordinal``: a value in
    [low, high] in ``unit`` (e.g. degrees). ``circular``: an angle in [low, high] that wraps
    (measured with its sine and cosine). ``size`` is the number of grid points (classes for
    a categorical factor); ``continuous`` True draws ordinal/circular values uniformly on
    [low, high] for training data, False draws grid values only (dSprites). ``endpoint``
    False leaves ``high`` off the grid: a circular factor whose high is its low again (0 and
    360 degrees) would otherwise hold one angle twice (dSprites' grid does, as the original).
    """

    name: str
    kind: FactorKind
    size: int
    low: float = 0.0
    high: float = 1.0
    unit: str = ""
    continuous: bool = True
    names: tuple[str, ...] = ()
    endpoint: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("categorical", "ordinal", "circular"):
            raise ValueError(f"unknown factor kind {self.kind!r}")
        if self.size < 2 or not self.low < self.high:
            raise ValueError(f"factor {self.name}: need size >= 2 and low < high")

    def grid(self) -> np.ndarray:
        """The grid values (size,): classes 0..size-1, or ``linspace(low, high, size)`` (ends included)."""
        if self.kind == "categorical":
            return np.arange(self.size, dtype=np.float64)
        return np.linspace(self.low, self.high, self.size, endpoint=self.endpoint)

    def sample(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Values (count,) from this factor's training distribution."""
        if self.kind != "categorical" and self.continuous:
            return rng.uniform(self.low, self.high, size=count)
        return self.grid()[rng.integers(self.size, size=count)]

    def index_of(self, values: np.ndarray) -> np.ndarray:
        """Grid indices (N,) of values (N,): the nearest grid point."""
        grid = self.grid()
        distance = np.abs(np.asarray(values, np.float64)[:, None] - grid[None, :])  # (N, size)
        if self.kind == "circular" and not self.endpoint:  # the other way round may be shorter
            distance = np.minimum(distance, (self.high - self.low) - distance)
        return distance.argmin(axis=1)


class RenderedSet(ABC):
    """A data set rendered from known factors; subclasses set the class attributes and ``render``."""

    name: str
    image_channels: int
    image_size: int
    factors: tuple[Factor, ...]
    train_size: int = 60_000
    test_size: int = 10_000
    label_factor: str | None = None  # a categorical factor also served as the split's labels (e.g. the digit)
    version: int = 1  # bump when the pixels a subclass renders change: the cache keys on it

    @abstractmethod
    def render(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Images uint8 (N, C, S, S) of factor values (N, F) in ``factors`` order."""

    def sample_values(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Factor values (count, F), each factor drawn independently."""
        return np.stack([factor.sample(count, rng) for factor in self.factors], axis=1)

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return tuple(factor.size for factor in self.factors)

    def values_of_indices(self, indices: np.ndarray) -> np.ndarray:
        """Factor values (N, F) of grid indices (N, F)."""
        indices = np.asarray(indices)
        return np.stack([factor.grid()[indices[:, j]] for j, factor in enumerate(self.factors)], axis=1)

    def describe(self) -> dict:
        """The set's identity (name, version, format, factors) as JSON-ready data; the cache keys on it."""
        return {
            "name": self.name,
            "version": self.version,
            "channels": self.image_channels,
            "size": self.image_size,
            "factors": [asdict(factor) for factor in self.factors],
        }

    def cache_key(self, split: str, count: int) -> str:
        text = json.dumps({**self.describe(), "split": split, "count": count}, sort_keys=True)
        return f"{self.name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"

    def split_values(self, split: str) -> np.ndarray:
        """Factor values (N, F) of a split's images: ``train_size`` or ``test_size`` seeded draws."""
        count = self.train_size if split == "train" else self.test_size
        return self.sample_values(count, np.random.default_rng(SPLIT_SEEDS[split]))

    def load_split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Images uint8 (N, C, S, S) (memory-mapped from the cache) and factor values (N, F) of a split.

        The first call renders the split (with a progress bar) into
        ``$INFOGAN_CACHE/data/rendered/<name>-<key>.{npy,values.npy}``; the key changes with the
        set's ``describe()`` and the split's size, so a changed renderer never reads stale pixels.
        """
        values = self.split_values(split)
        folder = cache_folder() / "rendered"
        stem = folder / self.cache_key(split, len(values))
        images_path, values_path = stem.with_suffix(".npy"), stem.with_suffix(".values.npy")
        if not (images_path.is_file() and values_path.is_file()):
            folder.mkdir(parents=True, exist_ok=True)
            images = self.render_all(values, np.random.default_rng(SPLIT_SEEDS[split] + 1000))
            write_atomic(values_path, lambda stream: np.save(stream, values))
            write_atomic(images_path, lambda stream: np.save(stream, images))
        return np.load(images_path, mmap_mode="c"), np.load(values_path)

    def render_all(self, values: np.ndarray, rng: np.random.Generator, chunk: int = 2048) -> np.ndarray:
        """Images uint8 (N, C, S, S) of values (N, F), rendered in chunks behind a progress bar."""
        parts = []
        for start in tqdm(range(0, len(values), chunk), desc=f"rendering {self.name}", unit="chunk", leave=False):
            parts.append(self.render(values[start : start + chunk], rng))
        return np.concatenate(parts)

    def labels_of(self, values: np.ndarray) -> np.ndarray | None:
        """Labels (N,) int64 from ``label_factor``'s column of values (N, F); None without one."""
        if self.label_factor is None:
            return None
        column = [factor.name for factor in self.factors].index(self.label_factor)
        return values[:, column].astype(np.int64)

    def label_names(self) -> tuple[str, ...]:
        """The class names of ``label_factor`` (empty without one, or when its classes are unnamed)."""
        named = [factor for factor in self.factors if factor.name == self.label_factor]
        return named[0].names if named else ()


class RenderedGroundTruth:
    """A ``RenderedSet`` as the sampling metrics' ``GroundTruth``: factors are grid indices."""

    def __init__(self, rendered: RenderedSet):
        self.rendered = rendered
        self.factor_sizes = rendered.factor_sizes

    def sample_factors(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Grid indices (count, F), uniform over each factor's grid."""
        return np.stack([rng.integers(size, size=count) for size in self.factor_sizes], axis=1)

    def sample_observations_from_factors(self, factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Images uint8 (count, C, S, S) rendered at the grid values of ``factors``."""
        return self.rendered.render(self.rendered.values_of_indices(factors), rng)


RENDERED_SETS: dict[str, Callable[[], RenderedSet]] = {}


def register(name: str) -> Callable[[type[RenderedSet]], type[RenderedSet]]:
    """Class decorator: serve the subclass as the named data set ``name``."""

    def add(cls: type[RenderedSet]) -> type[RenderedSet]:
        RENDERED_SETS[name] = cls
        return cls

    return add


def get_rendered(name: str) -> RenderedSet:
    if name not in RENDERED_SETS:
        raise DataError(f"unknown rendered data set {name!r}; known: {', '.join(sorted(RENDERED_SETS))}")
    return RENDERED_SETS[name]()
