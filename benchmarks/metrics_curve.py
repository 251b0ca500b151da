"""The disentanglement metrics of every kept checkpoint of some runs: each metric against steps.

    python benchmarks/metrics_curve.py runs/dsprites-seed0 runs/dsprites-cr-seed0 [--sizes small] [--steps 120,480]

For each run and each step checkpoint it keeps (``--keep-checkpoints`` at training decides
how many; ``--steps`` picks some), ``evaluate_run`` scores Q on the data's known factors: the five disentanglement
metrics (``--sizes small`` or ``reference``, as ``infogan evaluate --disentanglement``) and
the MIG of the code x factor matrix on the test images. Prints a Markdown table, one row per
checkpoint, or the rows as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from infogan.checkpoint import list_checkpoints
from infogan.evaluate.run_metrics import evaluate_run
from infogan.loaded_run import load_run
from infogan.run_folder import CHECKPOINT_DIR

METRICS = ("factor_vae", "beta_vae", "mig", "dci_disentanglement", "dci_completeness", "sap")


def curve(run_dir: Path, sizes: str, steps: set[int] | None = None) -> list[dict]:
    """One row per step checkpoint of ``run_dir`` (those in ``steps``, if given): its step and the sampled metrics."""
    rows = []
    for step, path in list_checkpoints(run_dir / CHECKPOINT_DIR):
        if steps is not None and step not in steps:
            continue
        result = evaluate_run(load_run(run_dir, "cpu", path), attributes=False, fid=False, disentanglement=sizes)
        sampled = result.get("disentanglement")
        if sampled is None:
            raise SystemExit(f"{run_dir}: its data set has no ground-truth sampler")
        rows.append({"run": str(run_dir), "step": step, **{name: sampled[name] for name in METRICS}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dirs", type=Path, nargs="+")
    parser.add_argument("--sizes", default="small", choices=("small", "reference"))
    parser.add_argument("--steps", help="only these checkpoints, e.g. 120,480")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    steps = None if args.steps is None else {int(step) for step in args.steps.split(",")}
    rows = [row for run_dir in args.run_dirs for row in curve(run_dir, args.sizes, steps)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| run | step | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    for row in rows:
        print(f"| {row['run']} | {row['step']} | " + " | ".join(f"{row[name]:.3f}" for name in METRICS) + " |")


if __name__ == "__main__":
    main()
