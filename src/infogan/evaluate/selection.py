"""Choosing among runs without labels: rank them by the invariance of a categorical code.

Seeds of one configuration can end far apart (on MNIST, some split two digits by style
instead of identity). ``rank_runs`` scores each run by how often Q's category of a real image
survives a shift by one or two whole pixels (``infogan.evaluate.invariance``), averaged over its
newest checkpoints, and sorts them, best first. Only images are used, never labels. Compare runs of one
configuration at the same step; docs/results/mnist.md shows how the ranking matched test accuracy.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from infogan.checkpoint import list_checkpoints
from infogan.errors import InfoganError, InfoganWarning
from infogan.evaluate.invariance import invariance_per_code
from infogan.loaded_run import LoadedRun, load_run
from infogan.run_data import load_split
from infogan.run_folder import CHECKPOINT_DIR, read_config


def categorical_invariance(run: LoadedRun, images: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """{code name: invariance in [0, 1]} of every categorical code of a loaded run on uint8
    images (N, C, H, W); see ``invariance_per_code``."""
    return invariance_per_code(run.discriminator, run.spec, images, run.output_activation, seed=seed)


def _code_name(run: LoadedRun, code: str | None) -> str:
    if not run.spec.categorical:
        raise InfoganError(f"{run.run_dir} has no categorical code to rank by")
    name = code or run.spec.categorical[0].name
    if not run.spec.code(name).is_categorical:
        raise InfoganError(f"{name} of {run.run_dir} is not categorical")
    return name


def _newest_checkpoints(run_dir: Path, count: int) -> list[Path]:
    found = list_checkpoints(Path(run_dir) / CHECKPOINT_DIR)
    if not found:
        raise InfoganError(f"{run_dir} has no checkpoints yet")
    return [path for _, path in found[-count:]]


def score_run(
    run_dir: str | Path, code: str | None = None, data_dir: str | None = None, device: str = "cpu", checkpoints: int = 3
) -> dict:
    """{"run", "step", "code", "invariance", "invariance_by_step"} of one run: the mean
    invariance over its newest ``checkpoints`` step checkpoints (one checkpoint's value moves a
    little as D and Q keep training, up to 0.018 on our MNIST runs: docs/results/mnist.md)."""
    if isinstance(checkpoints, bool) or not isinstance(checkpoints, int) or not 1 <= checkpoints <= 100:
        raise InfoganError(f"checkpoints must be an integer from 1 to 100, got {checkpoints!r}")
    config = read_config(Path(run_dir))
    images = load_split(config, "test", data_dir).images
    by_step: dict[int, float] = {}
    for path in _newest_checkpoints(run_dir, checkpoints):
        run = load_run(run_dir, device, checkpoint=path)
        name = _code_name(run, code)
        by_step[run.step] = categorical_invariance(run, images)[name]
    return {
        "run": str(run_dir),
        "step": max(by_step),
        "code": name,
        "categories": run.spec.code(name).categories,
        "invariance": sum(by_step.values()) / len(by_step),
        "invariance_by_step": by_step,
    }


def rank_runs(
    run_dirs: list[str | Path],
    code: str | None = None,
    data_dir: str | None = None,
    device: str = "cpu",
    checkpoints: int = 3,
) -> list[dict]:
    """``score_run`` of every run, most invariant first. ``code`` defaults to each run's first
    categorical code; the images are the test split of each run's data set, without labels
    (``data_dir`` overrides where it is read from)."""
    if not run_dirs:
        raise InfoganError("name at least one run folder")
    rows = [score_run(run_dir, code, data_dir, device, checkpoints) for run_dir in run_dirs]
    kinds = {row["categories"] for row in rows}
    if len(kinds) > 1:
        raise InfoganError(
            "the runs' codes have different numbers of categories "
            f"({', '.join(sorted(map(str, kinds)))}); rank runs of one configuration"
        )
    if len({row["step"] for row in rows}) > 1:
        warnings.warn(
            "the runs are at different steps; invariance grows with training, so compare runs at the same step",
            InfoganWarning,
            stacklevel=2,
        )
    return sorted(rows, key=lambda row: row["invariance"], reverse=True)
