"""Can a label-free score pick the good seed? Invariance and real-image information against accuracy.

    python benchmarks/label_free_selection.py runs/lrd8e-4-seed0 runs/lrd8e-4-seed1 ...
    python benchmarks/label_free_selection.py --at-step 1500 runs/inv-seed0:runs/lrd8e-4-seed0 ...

Default: loads each run's newest checkpoint and scores c1 on the 10,000 MNIST test images:
test accuracy (uses labels), invariance (there, and averaged over the newest three
checkpoints as ``infogan select`` does) and real_information_nats (use no labels; see
``infogan.evaluate.invariance`` and ``infogan.evaluate.clustering.posterior_information``).
Runs are grouped by configuration (config.json without seed, steps and intervals); within
each group of two or more it prints the Spearman correlation of each label-free score with
accuracy, the accuracy of the run that score would pick, and what picking the better of
every pair of runs by it gives (training two seeds and keeping one).

``--at-step S``: reads the invariance that ``infogan train`` logged at step S (runs trained
since it logs it) and compares it with each run's final accuracy, or with the final accuracy
of OUTCOME_RUN_DIR (the same seed and configuration trained longer; on the CPU a run replays
bit for bit): could the good seed have been chosen early?
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
from collections import defaultdict
from pathlib import Path

from scipy.stats import spearmanr

from infogan import load_run
from infogan.data import load_dataset, to_float_images
from infogan.evaluate.clustering import clustering_accuracy, posterior_information
from infogan.evaluate.selection import score_run
from infogan.networks import get_architecture
from infogan.run_folder import read_metrics

PER_RUN_KEYS = {
    "seed",
    "steps",
    "epochs",
    "out",
    "log_every",
    "eval_every",
    "image_every",
    "checkpoint_every",
    "keep_checkpoints",
    "on_divergence",
    "device",
    "data_dir",
}


def configuration_key(run_dir: Path) -> str:
    config = json.loads((run_dir / "config.json").read_text())
    return json.dumps({k: v for k, v in config.items() if k not in PER_RUN_KEYS}, sort_keys=True)


def score_newest_checkpoint(run_dir: Path) -> dict:
    """c1 at the run's newest checkpoint: test accuracy and real-image information; and its
    invariance there and averaged over the newest three checkpoints, as ``infogan select`` ranks."""
    run = load_run(run_dir)
    test_set = load_dataset(run.config.dataset, "test", run.config.data_dir)
    activation = get_architecture(run.config.architecture).output_activation
    posterior = run.encode(to_float_images(test_set.images, activation))["c1"]
    averaged = score_run(run_dir, "c1")
    return {
        "run": run_dir.name,
        "step": run.step,
        "accuracy": clustering_accuracy(posterior.argmax(dim=1).numpy(), test_set.labels.numpy()),
        "invariance_newest": averaged["invariance_by_step"][run.step],
        "invariance": averaged["invariance"],
        "averaged_over_steps": "/".join(map(str, averaged["invariance_by_step"])),
        "real_information_nats": posterior_information(posterior.numpy()),
    }


def score_logged(run_dir: Path, step: int, outcome_dir: Path) -> dict:
    """The invariance and accuracy logged at ``step``, and the final accuracy of ``outcome_dir``
    (the run itself, or a longer run of the same seed and configuration)."""
    evaluations = read_metrics(run_dir, "eval")
    at_step = next((r for r in evaluations if r["step"] == step), None)
    if at_step is None or "eval/c1/invariance" not in at_step:
        raise SystemExit(f"{run_dir}: no logged invariance at step {step}")
    final = read_metrics(outcome_dir, "eval")[-1]
    return {
        "run": run_dir.name,
        "step": step,
        "accuracy": at_step["eval/c1/accuracy"],
        "invariance": at_step["eval/c1/invariance"],
        "final_step": final["step"],
        "final_accuracy": final["eval/c1/accuracy"],
    }


def print_group(rows: list[dict], target: str, scores: list[str]) -> None:
    """Spearman of each label-free score with ``target`` and what picking by it gives."""
    if len(rows) < 2:
        return
    targets = [row[target] for row in rows]
    for score in scores:
        rho = spearmanr([row[score] for row in rows], targets).statistic
        picked = max(rows, key=lambda row: row[score])
        pairs = list(itertools.combinations(rows, 2))
        pair_picks = [max(pair, key=lambda row: row[score])[target] for pair in pairs]
        print(
            f"  {len(rows)} runs, by {score}: Spearman rho with {target} {rho:+.2f}; picks {picked['run']} "
            f"({target} {picked[target]:.4f}; best {max(targets):.4f}, median {statistics.median(targets):.4f}); "
            f"best of two, over all {len(pairs)} pairs: mean {target} {statistics.mean(pair_picks):.4f} "
            f"(a random pick: {statistics.mean(targets):.4f}), "
            f">= 0.95 in {sum(value >= 0.95 for value in pair_picks)} of {len(pairs)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="RUN_DIR, or with --at-step RUN_DIR:OUTCOME_RUN_DIR")
    parser.add_argument("--at-step", type=int, default=None)
    args = parser.parse_args()
    groups: dict[str, list[dict]] = defaultdict(list)
    for argument in args.runs:
        run_dir, _, outcome = (Path(part) if part else None for part in argument.partition(":"))
        row = (
            score_logged(run_dir, args.at_step, outcome or run_dir)
            if args.at_step
            else score_newest_checkpoint(run_dir)
        )
        groups[configuration_key(run_dir)].append(row)
        print(" | ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
    for index, rows in enumerate(groups.values()):
        print(f"configuration {index + 1}: {', '.join(row['run'] for row in rows)}")
        if args.at_step:
            print_group(rows, "final_accuracy", ["invariance", "accuracy"])
        else:
            print_group(rows, "accuracy", ["invariance", "invariance_newest", "real_information_nats"])


if __name__ == "__main__":
    main()
