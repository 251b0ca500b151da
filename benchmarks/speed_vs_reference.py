"""Our training step against the straightforward reference loop, side by side in one run.

    python benchmarks/speed_vs_reference.py [--steps 20] [--repeats 3]

Prints one JSON object: images/s of each (median over repeats, alternating so that both
see the same machine state) and the speed-up.
"""

from __future__ import annotations

import argparse
import json
import statistics

from reference_loop import run_reference

from infogan.bench import run_benchmark
from infogan.data import load_dataset
from infogan.presets import get_preset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    images = load_dataset("mnist", "train").images
    config = get_preset("mnist").with_changes(device="cpu")
    ours, reference = [], []
    for _ in range(args.repeats):
        reference.append(run_reference(images, steps=args.steps))
        ours.append(run_benchmark(config, steps=args.steps, repeats=1)["images_per_s"])
    result = {
        "reference_images_per_s": statistics.median(reference),
        "ours_images_per_s": statistics.median(ours),
        "reference_each": reference,
        "ours_each": ours,
    }
    result["speedup"] = result["ours_images_per_s"] / result["reference_images_per_s"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
