"""Contact sheets of the rendered sets (one row per factor swept) and their rendering times.

    python benchmarks/rendered_sets.py --sheets docs           # docs/rendered_<set>.png
    python benchmarks/rendered_sets.py --time                  # seconds to render each training split

A sheet's row sweeps one factor over its range (a categorical factor over its first classes)
with every other factor at the row's base value (``BASE``); chairs3d sweeps rotation once per
chair type, then width. ``--time`` renders each set's training split as ``load_split`` does
(the same seeded factor values and chunks, without writing the cache) and prints one JSON
object: set -> {images, seconds}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from infogan.data.rendered import get_rendered
from infogan.data.rendered.base import SPLIT_SEEDS
from infogan.viz import image_grid, save_png

SETS = ("faces3d", "chairs3d", "svhn-like")
COLUMNS = 10
ZOOM = {"faces3d": 2, "chairs3d": 1, "svhn-like": 1}  # pixel repeats in the sheets (svhn-like's stays < 100 KB)
BASE = {  # each factor's value while another is swept
    "faces3d": [20.0, 0.0, 30.0, 1.0],
    "chairs3d": [0.0, 30.0, 1.0],
    "svhn-like": [5.0, 0.0, 2.0, 8.0, 1.0, 0.0, 210.0, 40.0, 0.0],
}


def _sweep(values: np.ndarray, factor_index: int, points: np.ndarray) -> np.ndarray:
    rows = np.tile(values, (len(points), 1))
    rows[:, factor_index] = points
    return rows


def sheet_values(name: str) -> np.ndarray:
    """Factor values (rows * COLUMNS, F) of a set's contact sheet, row by row."""
    rendered, base = get_rendered(name), np.array(BASE[name])
    rows = []
    if name == "chairs3d":
        rotations = np.linspace(0, 360, COLUMNS, endpoint=False)
        for chair_type in range(rendered.factors[0].size):
            rows.append(_sweep(_sweep(base, 0, [chair_type])[0], 1, rotations))
        rows.append(_sweep(base, 2, np.linspace(0.8, 1.2, COLUMNS)))
        return np.concatenate(rows)
    for index, factor in enumerate(rendered.factors):
        if factor.kind == "categorical":
            points = np.arange(COLUMNS) % factor.size
        else:
            points = np.linspace(factor.low, factor.high, COLUMNS, endpoint=factor.kind != "circular")
        rows.append(_sweep(base, index, points))
    return np.concatenate(rows)


def write_sheet(name: str, folder: Path) -> Path:
    values = sheet_values(name)
    images = get_rendered(name).render(values, np.random.default_rng(0))
    grid = image_grid(torch.from_numpy(images).float() / 255, len(values) // COLUMNS, COLUMNS)
    grid = grid.repeat(ZOOM[name], axis=0).repeat(ZOOM[name], axis=1)
    return save_png(grid, folder / f"rendered_{name.replace('-', '_')}.png")


def time_training_split(name: str) -> dict:
    rendered = get_rendered(name)
    values = rendered.split_values("train")
    start = time.perf_counter()
    rendered.render_all(values, np.random.default_rng(SPLIT_SEEDS["train"] + 1000))
    return {"images": len(values), "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=Path, help="write the contact sheets into this folder")
    parser.add_argument("--time", action="store_true", help="time the rendering of each training split")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sets (default: all three)")
    arguments = parser.parse_args()
    names = arguments.sets.split(",")
    if arguments.sheets:
        for name in names:
            print(write_sheet(name, arguments.sheets))
    if arguments.time:
        print(json.dumps({name: time_training_split(name) for name in names}))


if __name__ == "__main__":
    main()
