"""An image folder against the in-memory IDX path: first decode time and training images/s.

    python benchmarks/folder_vs_idx.py [--data fashion-mnist] [--folder /tmp/fashion-test-png] [--rounds 3]

Writes the test split of ``--data`` (default Fashion-MNIST's 10,000 images; ``mnist`` works
anywhere) as a class-subfolder tree of PNGs (``FOLDER/<label>/<index>.png``) unless the
folder exists, times its first decode into a fresh cache (``infogan.data.load_dataset``),
then alternates ``infogan bench --data FOLDER`` and ``infogan bench --data DATA``, each in
its own process, and prints one JSON object: decode seconds, median images/s of each and
their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from infogan.data import load_dataset


def write_png_tree(data: str, folder: Path) -> int:
    """The test split of ``data`` as FOLDER/<label>/<index>.png; returns the number of images."""
    test_set = load_dataset(data, "test")
    for index, (image, label) in enumerate(zip(test_set.images, test_set.labels.tolist())):
        target = folder / str(label)
        target.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image[0].numpy()).save(target / f"{index:05d}.png")
    return len(test_set)


def bench(data: str, preset: str) -> float:
    command = [
        sys.executable,
        "-m",
        "infogan",
        "bench",
        "--json",
        "--repeats",
        "1",
        "--steps",
        "20",
        "--data",
        data,
        "--preset",
        preset,
    ]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)["images_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "infogan-test-png")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.folder.exists():
        write_png_tree(args.data, args.folder)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["INFOGAN_CACHE"] = cache
        started = time.perf_counter()
        decoded = load_dataset(str(args.folder), "train", size=28, channels=1)
        decode_s = time.perf_counter() - started
        timings: dict[str, list[float]] = {"folder": [], "idx": []}
        for _ in range(args.rounds):
            timings["folder"].append(bench(str(args.folder), "mnist"))
            timings["idx"].append(bench(args.data, "mnist"))
    folder, idx = statistics.median(timings["folder"]), statistics.median(timings["idx"])
    print(
        json.dumps(
            {
                "images": len(decoded),
                "first_decode_s": decode_s,
                "folder_images_per_s": folder,
                "idx_images_per_s": idx,
                "ratio": folder / idx,
                "each": timings,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
