"""Our training step against the straightforward reference loop, side by side in one run.

    python benchmarks/speed_vs_reference.py [--steps 20] [--repeats 3]

Each measurement is its own fresh process, the arms alternating so that all see the same
machine state: the reference loop (``benchmarks/reference_loop.py``), ``infogan bench``,
and ``infogan bench --reuse-fakes``, whose G update reuses the D update's fakes as the
reference loop does. Prints one JSON object: median images/s of each arm, every timing,
and the speed-ups of ours over the reference.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REFERENCE = str(Path(__file__).with_name("reference_loop.py"))


def _images_per_s(command: list[str]) -> float:
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(json.loads(output)["images_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    steps = ["--steps", str(args.steps)]
    arms = {
        "reference": [sys.executable, REFERENCE, *steps],
        "ours": [sys.executable, "-m", "infogan", "bench", "--json", "--repeats", "1", *steps],
        "ours_reuse_fakes": [
            sys.executable,
            "-m",
            "infogan",
            "bench",
            "--json",
            "--repeats",
            "1",
            "--reuse-fakes",
            *steps,
        ],
    }
    timings: dict[str, list[float]] = {arm: [] for arm in arms}
    for _ in range(args.repeats):
        for arm, command in arms.items():
            timings[arm].append(_images_per_s(command))
    result = {f"{arm}_images_per_s": statistics.median(values) for arm, values in timings.items()}
    result["each"] = timings
    result["speedup"] = result["ours_images_per_s"] / result["reference_images_per_s"]
    result["speedup_reuse_fakes"] = result["ours_reuse_fakes_images_per_s"] / result["reference_images_per_s"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
