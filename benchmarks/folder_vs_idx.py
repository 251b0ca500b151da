"""An image folder against the in-memory IDX path: first decode time and training images/s.

    python benchmarks/folder_vs_idx.py [--data fashion-mnist] [--folder /tmp/fashion-test-png] [--rounds 8]

Writes the test split of ``--data`` (default Fashion-MNIST's 10,000 images; ``mnist`` works
anywhere) as a class-subfolder tree of PNGs (``FOLDER/<label>/<index>.png``) unless the
folder exists, times its first decode into a fresh cache (``infogan.data.load_dataset``),
then times training steps on the folder and on ``DATA`` in alternating rounds
(``infogan.bench.run_benchmark``), so that both see the same machine load, and prints one
JSON object: decode seconds, median images/s of each, and the median of the paired ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from infogan.bench import run_benchmark
from infogan.data import load_dataset
from infogan.presets import get_preset


def write_png_tree(data: str, folder: Path) -> int:
    """The test split of ``data`` as FOLDER/<label>/<index>.png; returns the number of images."""
    test_set = load_dataset(data, "test")
    for index, (image, label) in enumerate(zip(test_set.images, test_set.labels.tolist())):
        target = folder / str(label)
        target.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image[0].numpy()).save(target / f"{index:05d}.png")
    return len(test_set)


def images_per_s(data: str) -> float:
    config = get_preset("mnist").with_changes(dataset=data, device="cpu")
    return run_benchmark(config, steps=10, repeats=1, warmup=2)["images_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "infogan-test-png")
    parser.add_argument("--rounds", type=int, default=8)
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
            timings["folder"].append(images_per_s(str(args.folder)))
            timings["idx"].append(images_per_s(args.data))
    ratios = [folder / idx for folder, idx in zip(timings["folder"], timings["idx"])]
    summary = {
        "images": len(decoded),
        "first_decode_s": decode_s,
        "folder_images_per_s": statistics.median(timings["folder"]),
        "idx_images_per_s": statistics.median(timings["idx"]),
        "median_ratio": statistics.median(ratios),
    }
    print(json.dumps({**summary, "each": timings}, indent=2))


if __name__ == "__main__":
    main()
