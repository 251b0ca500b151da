"""How fast dSprites renders into the cache and how fast batches come out of it; prints one JSON object.

    PYTHONPATH=src python benchmarks/dsprites_render.py [--workers N]

Renders the whole 737,280-image grid once into a fresh temporary cache (``INFOGAN_CACHE``),
then times random access to batches of 128 (uint8 tensors (128, 1, 64, 64)) from the
memory-mapped packed cache: the median over 200 batches, after 20 to warm the page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np
import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: one per core)")
    parser.add_argument("--batches", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["INFOGAN_CACHE"] = cache
        from infogan.data.packed import PackedImages
        from infogan.data.rendered.dsprites import SIDE, DSprites

        dsprites = DSprites()
        started = time.perf_counter()
        path = dsprites.cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        PackedImages(dsprites.render_grid(args.workers), (1, SIDE, SIDE)).save(path)
        render_s = time.perf_counter() - started
        grid = dsprites.packed_grid()
        generator = torch.Generator().manual_seed(0)
        timings = []
        for batch in range(20 + args.batches):
            indices = torch.randint(len(grid), (128,), generator=generator)
            started = time.perf_counter()
            images = grid[indices]
            if batch >= 20:
                timings.append(time.perf_counter() - started)
        print(
            json.dumps(
                {
                    "images": len(grid),
                    "workers": args.workers or os.cpu_count(),
                    "render_full_grid_s": round(render_s, 2),
                    "cache_mb": round(path.stat().st_size / 2**20, 1),
                    "batch_128_median_ms": round(1000 * statistics.median(timings), 3),
                    "batch_shape": list(images.shape),
                    "mean_pixel": round(float(np.mean(grid.numpy(np.arange(0, len(grid), 37)) / 255)), 4),
                }
            )
        )


if __name__ == "__main__":
    main()
