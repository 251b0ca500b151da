"""dSprites (Matthey et al., 2017), rendered here: 737,280 binary 64x64 sprites on the exact factor grid.

The factor grid and its order are the original's (github.com/deepmind/dsprites-dataset,
README): shape (square, ellipse, heart), scale (6 values, linspace 0.5..1), orientation
(40 values, linspace 0..2 pi, both ends included), position x and y (32 values each,
linspace 0..1); every combination once, position y varying fastest and shape slowest.
(The original file also has a constant colour factor first; it is left out here.)

The pixels are not the original's. What is known of how it was drawn (the author's answer
in github.com/deepmind/dsprites-dataset issue 2): vector shapes drawn with Love2D on a
canvas of normalised size 1 (a rectangle, an ellipse, and a heart from procedurally
generated vertices), rasterised straight to binary 64x64 without supersampling. What is
chosen here: the square's side at scale 1 (``SQUARE_SIDE`` pixels), an ellipse of axes
1 x 0.5 sides, a heart from the classic parametric curve (x = 16 sin^3 t, y = 13 cos t -
5 cos 2t - 2 cos 3t - cos 4t) one side wide; sizes chosen so that the mean pixel over the
grid is about 0.043, as in the original (its commonly used normalisation mean, std 0.202);
the sprite's centre moves over the middle half of the image (``POSITION_RANGE``, about one
pixel per position step, as the README's "smallest step changes" suggests) and the sprite
rotates about that centre, clockwise on screen for a growing angle (Love2D's convention,
y pointing down); position y grows downwards. Each sprite is drawn at 16 x 16 samples per
pixel and a pixel is on (255) when at least half of it is covered, so edges are clean.

The training split is the whole grid in the original order, rendered once into the cache
as packed bits (``infogan.data.packed``, 377 MB) and memory-mapped; the test split is a
seeded sample of 10,000 grid indices. ``render`` looks images up in that cache once it
exists, so the ground truth of the metrics (``RenderedGroundTruth``) is an index lookup.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

from infogan.data.folder import cache_folder
from infogan.data.packed import PackedImages, pack_images
from infogan.data.processes import process_map
from infogan.data.rendered.base import SPLIT_SEEDS, Factor, RenderedSet, register

SIDE = 64  # image side, pixels
SAMPLES = 16  # samples per pixel side when a sprite is rasterised
WINDOW = 36  # side (pixels) of the square around a sprite's centre that it is drawn in
SQUARE_SIDE = 21.3  # the square's side at scale 1, pixels
POSITION_RANGE = (0.25, 0.75)  # the sprite centre's range, as fractions of the image side
SHAPE_NAMES = ("square", "ellipse", "heart")
TEST_SIZE = 10_000
FACTORS = (
    Factor("shape", "categorical", 3, continuous=False, names=SHAPE_NAMES),
    Factor("scale", "ordinal", 6, 0.5, 1.0, continuous=False),
    Factor("orientation", "circular", 40, 0.0, 2 * math.pi, unit="radians", continuous=False),
    Factor("position_x", "ordinal", 32, 0.0, 1.0, continuous=False),
    Factor("position_y", "ordinal", 32, 0.0, 1.0, continuous=False),
)
GRID_SIZES = tuple(factor.size for factor in FACTORS)


def _outline(shape: int) -> np.ndarray:
    """The outline (V, 2) of a shape at scale 1 in units of the square's side, centred on (0, 0), y down."""
    if shape == 0:
        return np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    t = np.linspace(0, 2 * np.pi, 256, endpoint=False)
    if shape == 1:
        return np.stack([0.5 * np.cos(t), 0.25 * np.sin(t)], axis=1)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))  # the point at the bottom
    outline = np.stack([x, y], axis=1) / 32  # one side wide
    return outline - (outline.max(axis=0) + outline.min(axis=0)) / 2  # centred on its bounding box


def _coverage_table(shape: int, scale: float, orientation: float) -> np.ndarray:
    """Summed-area table (WINDOW*SAMPLES + 1,)*2 int32 of the sprite drawn at SAMPLES per pixel in
    the WINDOW-pixel square centred on it: entry [a, b] counts the samples above row a and left of column b."""
    cos, sin = math.cos(orientation), math.sin(orientation)
    outline = _outline(shape) * (SQUARE_SIDE * scale)
    rotated = outline @ np.array([[cos, sin], [-sin, cos]])  # clockwise on screen for a growing angle
    samples = WINDOW * SAMPLES
    vertices = (rotated + WINDOW / 2) * SAMPLES - 0.5  # PIL puts sample u's centre at u
    canvas = Image.new("1", (samples, samples), 0)
    ImageDraw.Draw(canvas).polygon([tuple(point) for point in vertices], fill=1)
    table = np.zeros((samples + 1, samples + 1), np.int32)
    table[1:, 1:] = np.asarray(canvas, dtype=np.int32).cumsum(0).cumsum(1)
    return table


def _window_edges(centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sprite centres (N,) in pixels: the first image pixel (N,) of each window and the
    summed-area table's edge indices (N, WINDOW) of its WINDOW - 1 pixels."""
    start = np.rint(centres * SAMPLES).astype(np.int64) - WINDOW // 2 * SAMPLES
    first, shift = np.divmod(start, SAMPLES)
    edges = SAMPLES * np.arange(1, WINDOW + 1)[None, :] - shift[:, None]
    return first + 1, edges


def render_sprites(values: np.ndarray) -> np.ndarray:
    """Binary images bool (N, SIDE, SIDE) of factor values (N, 5) in ``FACTORS`` order (shape as a class)."""
    values = np.asarray(values, np.float64)
    low, high = POSITION_RANGE
    centres_x = SIDE * (low + (high - low) * values[:, 3])
    centres_y = SIDE * (low + (high - low) * values[:, 4])
    first_x, edges_x = _window_edges(centres_x)
    first_y, edges_y = _window_edges(centres_y)
    pad = 4  # the windows of sprites near an edge reach past it by up to 3 pixels
    canvas = np.zeros((len(values), SIDE + 2 * pad, SIDE + 2 * pad), bool)
    combos, members = np.unique(values[:, :3], axis=0, return_inverse=True)
    span = np.arange(WINDOW - 1)
    for combo_index, (shape, scale, orientation) in enumerate(combos):
        rows = np.flatnonzero(members.reshape(-1) == combo_index)
        table = _coverage_table(int(round(shape)), scale, orientation)
        corners = table[edges_y[rows][:, :, None], edges_x[rows][:, None, :]]  # (n, WINDOW, WINDOW)
        covered = np.diff(np.diff(corners, axis=1), axis=2)  # (n, WINDOW - 1, WINDOW - 1) samples per pixel
        image_rows = (pad + first_y[rows])[:, None, None] + span[None, :, None]
        image_columns = (pad + first_x[rows])[:, None, None] + span[None, None, :]
        canvas[rows[:, None, None], image_rows, image_columns] = covered * 2 >= SAMPLES * SAMPLES
    return canvas[:, pad : pad + SIDE, pad : pad + SIDE]


def grid_values(indices: np.ndarray) -> np.ndarray:
    """Factor values (N, 5) of flat grid indices (N,) (position y fastest, as the original's order)."""
    per_factor = np.unravel_index(np.asarray(indices, np.int64), GRID_SIZES)
    return np.stack([factor.grid()[index] for factor, index in zip(FACTORS, per_factor)], axis=1)


def grid_indices(values: np.ndarray) -> np.ndarray:
    """Flat grid indices (N,) of factor values (N, 5) (each value snapped to its nearest grid point)."""
    per_factor = [factor.index_of(values[:, j]) for j, factor in enumerate(FACTORS)]
    return np.ravel_multi_index(per_factor, GRID_SIZES)


def _render_rows(start: int, count: int) -> np.ndarray:
    """Packed bits (count, 512) of the grid's rows start .. start + count - 1 (a worker's task)."""
    return pack_images(render_sprites(grid_values(np.arange(start, min(start + count, int(np.prod(GRID_SIZES)))))))


def sample_test_indices(total: int, count: int = TEST_SIZE) -> np.ndarray:
    """The test split: ``count`` (at most ``total``) distinct indices of ``total`` rows, seeded, sorted."""
    rng = np.random.default_rng(SPLIT_SEEDS["test"])
    return np.sort(rng.choice(total, size=min(count, total), replace=False))


@register("dsprites")
class DSprites(RenderedSet):
    """dSprites rendered on its exact factor grid (see the module docstring)."""

    name = "dsprites"
    image_channels = 1
    image_size = SIDE
    factors = FACTORS
    train_size = int(np.prod(GRID_SIZES))  # 737,280: the whole grid
    test_size = TEST_SIZE
    chunk = 4  # (shape, scale, orientation) combinations rendered at a time: 4,096 images

    def cache_path(self) -> Path:
        return cache_folder() / "rendered" / f"{self.cache_key('grid', self.train_size)}.bits.npy"

    def packed_grid(self) -> PackedImages:
        """The whole grid's images, packed, memory-mapped from the cache (rendered into it the first time)."""
        path = self.cache_path()
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            PackedImages(self.render_grid(), (1, SIDE, SIDE)).save(path)
        return PackedImages.load(path, (1, SIDE, SIDE))

    def render_grid(self, workers: int | None = None) -> np.ndarray:
        """Packed bits (737280, 512) of the whole grid in order, one process per core (``workers``
        None: ``os.cpu_count()``), behind a progress bar."""
        per_combo = GRID_SIZES[3] * GRID_SIZES[4]
        combos = self.train_size // per_combo
        starts = [start * per_combo for start in range(0, combos, self.chunk)]
        bits = np.empty((self.train_size, SIDE * SIDE // 8), np.uint8)
        workers = min(workers or os.cpu_count() or 1, len(starts))
        bar = tqdm(total=self.train_size, desc="rendering dsprites", unit="image", leave=False)
        rows_per_chunk = [self.chunk * per_combo] * len(starts)
        with process_map(workers) as parallel_map, bar:
            for start, packed in zip(starts, parallel_map(_render_rows, starts, rows_per_chunk)):
                bits[start : start + len(packed)] = packed
                bar.update(len(packed))
        return bits

    def render(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Images uint8 0/255 (N, 1, 64, 64) of factor values (N, 5): looked up in the cached grid
        when it exists, else rasterised (values off the grid are drawn as they are)."""
        values = np.asarray(values, np.float64)
        indices = grid_indices(values)
        if self.cache_path().is_file() and np.allclose(grid_values(indices), values, rtol=0, atol=1e-9):
            return self.packed_grid().numpy(indices)
        return render_sprites(values)[:, None].astype(np.uint8) * np.uint8(255)

    def split_values(self, split: str) -> np.ndarray:
        """Factor values (N, 5): the whole grid in order (train), or the seeded test indices' values."""
        return grid_values(self._split_indices(split))

    def _split_indices(self, split: str) -> np.ndarray:
        return np.arange(self.train_size) if split == "train" else sample_test_indices(self.train_size, self.test_size)

    def load_split(self, split: str) -> tuple[PackedImages | np.ndarray, np.ndarray]:
        """Train: the packed grid (``PackedImages`` (737280, 1, 64, 64)) and its values (737280, 5);
        test: uint8 images (10000, 1, 64, 64) of the seeded test indices and their values."""
        indices = self._split_indices(split)
        grid = self.packed_grid()
        return (grid if split == "train" else grid.numpy(indices)), grid_values(indices)
