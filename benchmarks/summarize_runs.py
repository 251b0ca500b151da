"""Summarise MNIST runs: final and best c1 test accuracy, NMI, ARI, L_I, steps and wall time.

    python benchmarks/summarize_runs.py runs/mnist-seed0 runs/mnist-seed1 runs/mnist-seed2

Prints a Markdown table (one row per run, then the median) from each run's metrics.jsonl,
as written by ``infogan train`` (evaluations every ``--eval-every`` steps on the test set).
"""

from __future__ import annotations

import statistics
import sys

from infogan.run_folder import read_metrics


def summarize(run_dir: str, target: float = 0.95) -> dict:
    evals = read_metrics(run_dir, "eval")
    trains = read_metrics(run_dir, "train")
    if not evals or not trains:
        raise SystemExit(f"{run_dir}: no evaluations yet")
    last = evals[-1]
    at_200 = next((r["info/c1"] for r in trains if r["step"] >= 200), float("nan"))
    reached = next((r for r in evals if r["eval/c1/accuracy"] >= target), None)
    return {
        "run": run_dir,
        "steps": last["step"],
        "wall_min": last["time_s"] / 60,
        "accuracy": last["eval/c1/accuracy"],
        "nmi": last["eval/c1/nmi"],
        "ari": last["eval/c1/ari"],
        "best_accuracy": max(r["eval/c1/accuracy"] for r in evals),
        "info_c1_step200": at_200,
        "minutes_to_target": reached["time_s"] / 60 if reached else None,
        "step_to_target": reached["step"] if reached else None,
        "invariance": last.get("eval/c1/invariance"),  # logged by runs trained since it existed
    }


def print_table(rows: list[dict]) -> None:
    """The Markdown table of ``summarize``'s rows, then their median when there are several."""
    print(
        "| run | steps | wall (min) | c1 accuracy | NMI | ARI | best accuracy | L_I(c1) at step 200 | time to 0.95 "
        "| invariance (label-free) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        reached = "not reached"
        if row["minutes_to_target"] is not None:
            reached = f"{row['minutes_to_target']:.0f} min (step {row['step_to_target']})"
        invariance = "-" if row["invariance"] is None else f"{row['invariance']:.4f}"
        print(
            f"| {row['run']} | {row['steps']} | {row['wall_min']:.0f} | {row['accuracy']:.4f} | {row['nmi']:.4f} | "
            f"{row['ari']:.4f} | {row['best_accuracy']:.4f} | {row['info_c1_step200']:.3f} | {reached} | "
            f"{invariance} |"
        )
    if len(rows) > 1:
        median = {
            key: statistics.median(row[key] for row in rows) for key in ("accuracy", "nmi", "ari", "best_accuracy")
        }
        print(
            f"| median of {len(rows)} | | | {median['accuracy']:.4f} | {median['nmi']:.4f} | {median['ari']:.4f} | "
            f"{median['best_accuracy']:.4f} | | | |"
        )


def main() -> None:
    print_table([summarize(path) for path in sys.argv[1:]])


if __name__ == "__main__":
    main()
