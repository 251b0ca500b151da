"""Peak memory of training on a large image folder (200,000 synthetic 32x32 RGB PNGs by default).

    python benchmarks/large_folder_memory.py [--images 200000] [--folder /tmp/infogan-large] [--steps 50]

Writes the folder unless it exists (seeded random rectangles on random backgrounds, so that
PNG compression is realistic), then runs ``infogan train --data FOLDER`` (the 32x32 RGB
architecture, evaluations on the held-out images included) in a child process with a fresh
cache, and prints one JSON object: images, seconds to write, seconds for the whole training
command (first decode included), and the child's peak resident memory in MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def write_folder(folder: Path, count: int, side: int = 32, seed: int = 0) -> None:
    """``count`` RGB PNGs of random rectangles, 1,000 per subfolder (no labels: names are numbers)."""
    rng = np.random.default_rng(seed)
    for index in range(count):
        pixels = np.empty((side, side, 3), np.uint8)
        pixels[:] = rng.integers(0, 256, 3)
        top, left = rng.integers(0, side - 8, 2)
        height, width = rng.integers(4, 16, 2)
        pixels[top : top + height, left : left + width] = rng.integers(0, 256, 3)
        target = folder / f"part{index // 1000:04d}"
        target.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(target / f"{index:07d}.png")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=200_000)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "infogan-large")
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    started = time.perf_counter()
    if not args.folder.exists():
        write_folder(args.folder, args.images)
    written_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        environment = {**os.environ, "INFOGAN_CACHE": scratch}
        command = [
            sys.executable,
            "-m",
            "infogan",
            "train",
            "--data",
            str(args.folder),
            "--out",
            f"{scratch}/run",
            "--steps",
            str(args.steps),
            "--eval-every",
            str(args.steps),
            "--no-progress",
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, env=environment, capture_output=True)
        train_s = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {"images": args.images, "write_s": written_s, "train_command_s": train_s, "peak_memory_mib": peak_mib},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
