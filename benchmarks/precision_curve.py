"""MNIST's L_I(c1) curve under bf16 autocast against float32, beside the seed-to-seed spread.

    python benchmarks/precision_curve.py [--steps 500] [--batch-size 128] [--log-every 10] [--bf16-seeds 0,1]

Trains the mnist preset on the CPU in fp32 with seeds 0 and 1 and in bf16 with each of
``--bf16-seeds``, and compares the ``info/c1`` log lines: the largest and mean
|bf16 - fp32| of each bf16 seed against fp32 of the same seed, beside the same for fp32
seed 0 vs seed 1 and, with two bf16 seeds, bf16 seed 0 vs seed 1 (the noise a curve has
anyway). bf16 is "within noise" when its distance is no larger than the seed-to-seed ones.
Prints one JSON object with the curves.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from infogan.presets import get_preset
from infogan.run_folder import read_metrics
from infogan.trainer import train


def info_curve(run_dir: Path) -> list[float]:
    """``info/c1`` of every train line."""
    return [line["info/c1"] for line in read_metrics(run_dir) if line["kind"] == "train"]


def distance(first: list[float], second: list[float]) -> dict[str, float]:
    gaps = [abs(a - b) for a, b in zip(first, second)]
    return {"max": max(gaps), "mean": statistics.fmean(gaps)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--bf16-seeds", default="0,1", help="comma-separated seeds of the bf16 runs")
    args = parser.parse_args()
    base = get_preset("mnist").with_changes(
        steps=args.steps, batch_size=args.batch_size, log_every=args.log_every, device="cpu", eval_every=0,
        image_every=100000, checkpoint_every=100000,
    )  # fmt: skip
    curves, seconds = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        bf16_seeds = [int(seed) for seed in args.bf16_seeds.split(",")]
        arms = [("fp32", 0), ("fp32", 1)] + [("bf16", seed) for seed in bf16_seeds]
        for precision, seed in arms:
            name = f"{precision}_seed{seed}"
            started = time.perf_counter()
            run_dir = train(base.with_changes(seed=seed, precision=precision), Path(folder) / name, progress=False)
            seconds[name], curves[name] = time.perf_counter() - started, info_curve(run_dir)
    result = {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "bf16_vs_fp32": {
            f"seed{seed}": distance(curves[f"bf16_seed{seed}"], curves[f"fp32_seed{seed}"])
            for seed in bf16_seeds
            if f"fp32_seed{seed}" in curves
        },
        "seed_to_seed_fp32": distance(curves["fp32_seed1"], curves["fp32_seed0"]),
        "seed_to_seed_bf16": distance(curves["bf16_seed1"], curves["bf16_seed0"])
        if {0, 1} <= set(bf16_seeds)
        else None,
        "seconds": seconds,
        "curves": curves,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
