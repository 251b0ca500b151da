"""Can a label-free score pick the good seed? Invariance and real-image information against accuracy.

    python benchmarks/label_free_selection.py runs/lrd8e-4-seed0 runs/lrd8e-4-seed1 ...
    python benchmarks/label_free_selection.py --at-step 1500 runs/lrd8e-4-seed5 runs/lrd8e-4-seed6

Default: loads each run's newest checkpoint and scores c1 on the 10,000 MNIST test images:
test accuracy (uses labels), invariance and real_information_nats (use no labels; see
``infogan.evaluate.invariance`` and ``infogan.evaluate.clustering.posterior_information``).
Runs are grouped by configuration (config.json without seed, steps and intervals); within
each group of two or more it prints the Spearman correlation of each label-free score with
accuracy and the accuracy of the run that score would pick.

``--at-step S``: reads the invariance that ``infogan train`` logged at step S (runs trained
since it logs it) and compares it with each run's final accuracy: an early choice of seed.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

from scipy.stats import spearmanr

from infogan import load_run
from infogan.data import load_dataset, to_float_images
from infogan.evaluate.clustering import posterior_information
from infogan.networks import get_architecture
from infogan.run import read_metrics
from infogan.trainer import evaluate_categorical

PER_RUN_KEYS = {"seed", "steps", "epochs", "out", "log_every", "eval_every", "image_every", "checkpoint_every",
                "keep_checkpoints", "on_divergence", "device", "data_dir"}


def configuration_key(run_dir: Path) -> str:
    config = json.loads((run_dir / "config.json").read_text())
    return json.dumps({k: v for k, v in config.items() if k not in PER_RUN_KEYS}, sort_keys=True)


def score_newest_checkpoint(run_dir: Path) -> dict:
    """Accuracy, invariance and real-image information of c1 at the run's newest checkpoint."""
    run = load_run(run_dir)
    test_set = load_dataset(run.config.dataset, "test", run.config.data_dir)
    activation = get_architecture(run.config.architecture).output_activation
    scores = evaluate_categorical(run.discriminator, run.spec, test_set, activation)
    posterior = run.encode(to_float_images(test_set.images, activation))["c1"].numpy()
    return {"run": run_dir.name, "step": run.step, "accuracy": scores["eval/c1/accuracy"],
            "invariance": scores["eval/c1/invariance"], "real_information_nats": posterior_information(posterior)}


def score_logged(run_dir: Path, step: int) -> dict:
    """The invariance and accuracy logged at ``step``, and the run's final accuracy."""
    evaluations = read_metrics(run_dir, "eval")
    at_step = next((r for r in evaluations if r["step"] == step), None)
    if at_step is None or "eval/c1/invariance" not in at_step:
        raise SystemExit(f"{run_dir}: no logged invariance at step {step}")
    return {"run": run_dir.name, "step": step, "accuracy": at_step["eval/c1/accuracy"],
            "invariance": at_step["eval/c1/invariance"], "final_step": evaluations[-1]["step"],
            "final_accuracy": evaluations[-1]["eval/c1/accuracy"]}


def print_group(rows: list[dict], target: str, scores: list[str]) -> None:
    """Spearman of each label-free score with ``target`` and what picking by it gives."""
    if len(rows) < 2:
        return
    targets = [row[target] for row in rows]
    for score in scores:
        rho = spearmanr([row[score] for row in rows], targets).statistic
        picked = max(rows, key=lambda row: row[score])
        print(f"  {len(rows)} runs, by {score}: Spearman rho with {target} {rho:+.2f}; picks {picked['run']} "
              f"({target} {picked[target]:.4f}; best {max(targets):.4f}, median {statistics.median(targets):.4f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--at-step", type=int, default=None)
    args = parser.parse_args()
    groups: dict[str, list[dict]] = defaultdict(list)
    for run_dir in args.runs:
        row = score_logged(run_dir, args.at_step) if args.at_step else score_newest_checkpoint(run_dir)
        groups[configuration_key(run_dir)].append(row)
        print(" | ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
    for index, rows in enumerate(groups.values()):
        print(f"configuration {index + 1}: {', '.join(row['run'] for row in rows)}")
        if args.at_step:
            print_group(rows, "final_accuracy", ["invariance", "accuracy"])
        else:
            print_group(rows, "accuracy", ["invariance", "real_information_nats"])


if __name__ == "__main__":
    main()
