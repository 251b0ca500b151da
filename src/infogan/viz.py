"""Image grids: the paper's Figure 2 traversals, written as PNG files."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from infogan.errors import InfoganError
from infogan.files import check_output_file, write_atomic
from infogan.latent import LatentBatch, LatentSpec
from infogan.networks import Generator
from infogan.sampling import check_seed, generate

TRAVERSAL_VALUES = (-2.0, 2.0)  # the paper sweeps continuous codes beyond the -1..1 prior
MAX_COLUMNS = 100  # columns of a traversal grid
MAX_GRID_IMAGES = 10_000  # images in one sample grid


def image_grid(images: torch.Tensor, rows: int, columns: int, output_activation: str = "sigmoid") -> np.ndarray:
    """Images (rows * columns, C, H, W) -> one uint8 array (rows * (H+2), columns * (W+2), C)."""
    images = images.detach().float().cpu()
    if output_activation == "tanh":
        images = (images + 1) / 2
    pixels = (images.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    count, channels, height, width = pixels.shape
    grid = np.zeros((rows * (height + 2), columns * (width + 2), channels), dtype=np.uint8)
    for index in range(min(count, rows * columns)):
        row, column = divmod(index, columns)
        top, left = row * (height + 2) + 1, column * (width + 2) + 1
        grid[top : top + height, left : left + width] = pixels[index].transpose(1, 2, 0)
    return grid


def png_bytes(array: np.ndarray) -> bytes:
    """An (H, W, 1 or 3) uint8 array encoded as PNG."""
    buffer = io.BytesIO()
    Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(array: np.ndarray, path: str | Path) -> Path:
    """Write an (H, W, 1 or 3) uint8 array as a PNG, atomically."""
    path = check_output_file(path, (".png",))
    data = png_bytes(array)
    write_atomic(path, lambda stream: stream.write(data))
    return path


def sample_grid(images: torch.Tensor, output_activation: str = "sigmoid") -> np.ndarray:
    """Images (N, C, H, W) in G's range as one near-square uint8 grid (``image_grid``)."""
    count = images.shape[0]
    if not 1 <= count <= MAX_GRID_IMAGES:
        raise InfoganError(f"a grid holds 1 to {MAX_GRID_IMAGES} images, got {count}")
    columns = math.ceil(math.sqrt(count))
    return image_grid(images, math.ceil(count / columns), columns, output_activation)


def save_image_grid(images: torch.Tensor, out: str | Path, output_activation: str = "sigmoid") -> Path:
    """Images (N, C, H, W) in G's range as one near-square PNG grid at ``out`` (``infogan sample``)."""
    return save_png(sample_grid(images, output_activation), out)


def traversal_batch(spec: LatentSpec, code_name: str | None, columns: int, seed: int) -> tuple[LatentBatch, int]:
    """Latents for a grid: rows = categories of the first categorical code, columns = a sweep.

    With ``code_name`` a continuous code, it goes from -2 to 2 along the columns with one
    fixed noise per row and every other continuous code at 0. With ``code_name`` None, the
    columns are different noise draws (the paper's c1-only grid). Returns (batch, rows).
    """
    if isinstance(columns, bool) or not isinstance(columns, int) or not 2 <= columns <= MAX_COLUMNS:
        raise InfoganError(f"columns must be an integer from 2 to {MAX_COLUMNS}, got {columns!r}")
    first_categorical = spec.categorical[0] if spec.categorical else None
    rows = first_categorical.categories if first_categorical else 10
    batch = spec.sample(rows * columns, torch.Generator().manual_seed(check_seed(seed)))
    row_index = torch.arange(rows).repeat_interleave(columns)  # (rows * columns,)
    if first_categorical is not None:
        batch.codes[first_categorical.name] = row_index
    for code in spec.continuous:
        batch.codes[code.name] = torch.zeros(rows * columns)
    if code_name is not None:
        code = spec.code(code_name)
        if code.is_categorical:
            raise InfoganError(f"code {code_name} is categorical; traverse a continuous code")
        sweep = torch.linspace(*TRAVERSAL_VALUES, columns)
        batch.codes[code_name] = sweep.repeat(rows)
        # One noise draw per row, shared along the sweep, so only the code changes.
        batch.noise = batch.noise.view(rows, columns, -1)[:, :1].expand(rows, columns, -1).reshape(rows * columns, -1)
    return batch, rows


def traversal_grid(
    generator: Generator,
    spec: LatentSpec,
    code_name: str | None,
    columns: int = 10,
    seed: int = 0,
    output_activation: str = "sigmoid",
) -> np.ndarray:
    """The uint8 grid for one traversal (see ``traversal_batch``)."""
    batch, rows = traversal_batch(spec, code_name, columns, seed)
    return image_grid(generate(generator, spec, batch), rows, columns, output_activation)


def save_traversals(
    generator: Generator,
    spec: LatentSpec,
    out: str | Path,
    columns: int = 10,
    seed: int = 0,
    output_activation: str = "sigmoid",
) -> list[Path]:
    """Write the c1 grid to ``out`` and one grid per continuous code beside it (``*_<code>.png``)."""
    out = Path(out)
    written = [save_png(traversal_grid(generator, spec, None, columns, seed, output_activation), out)]
    for code in spec.continuous:
        path = out.with_name(f"{out.stem}_{code.name}{out.suffix}")
        written.append(save_png(traversal_grid(generator, spec, code.name, columns, seed, output_activation), path))
    return written
