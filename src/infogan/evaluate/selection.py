"""Choosing among runs without labels: rank them by the invariance of a categorical code.

Seeds of one configuration can end far apart (on MNIST, some split two digits by style
instead of identity). ``rank_runs`` scores each run's newest checkpoint by how often Q's
category of a real image survives a small rotation and shift (``infogan.evaluate.invariance``)
and sorts them, best first. Only images are used, never labels. Compare runs of one
configuration at the same step; the README shows how the ranking matched test accuracy.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from infogan.data import load_dataset, to_float_images
from infogan.errors import InfoganError, InfoganWarning
from infogan.evaluate.invariance import category_agreement, nudged_images
from infogan.networks import get_architecture
from infogan.run import LoadedRun, load_run


def categorical_invariance(run: LoadedRun, images: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """{code name: invariance in [0, 1]} of every categorical code on uint8 images (N, C, H, W)."""
    activation = get_architecture(run.config.architecture).output_activation
    plain = run.encode(to_float_images(images, activation))
    moved = run.encode(nudged_images(images, activation, seed=seed))
    return {code.name: category_agreement(plain[code.name].argmax(dim=1), moved[code.name].argmax(dim=1))
            for code in run.spec.categorical}


def _code_name(run: LoadedRun, code: str | None) -> str:
    if not run.spec.categorical:
        raise InfoganError(f"{run.run_dir} has no categorical code to rank by")
    name = code or run.spec.categorical[0].name
    if not run.spec.code(name).is_categorical:
        raise InfoganError(f"{name} of {run.run_dir} is not categorical")
    return name


def rank_runs(
    run_dirs: list[str | Path], code: str | None = None, data_dir: str | None = None, device: str = "cpu"
) -> list[dict]:
    """[{"run", "step", "code", "invariance"}], one per run at its newest checkpoint, most
    invariant first. ``code`` defaults to each run's first categorical code; the images are
    the test split of each run's data set (``data_dir`` overrides where it is read from)."""
    if not run_dirs:
        raise InfoganError("name at least one run folder")
    rows = []
    for run_dir in run_dirs:
        run = load_run(run_dir, device)
        name = _code_name(run, code)
        images = load_dataset(run.config.dataset, "test", data_dir or run.config.data_dir).images
        rows.append({"run": str(run_dir), "step": run.step, "code": name,
                     "invariance": categorical_invariance(run, images)[name]})
    if len({row["step"] for row in rows}) > 1:
        warnings.warn("the runs are at different steps; invariance grows with training, so compare runs "
                      "at the same step", InfoganWarning, stacklevel=2)
    return sorted(rows, key=lambda row: row["invariance"], reverse=True)
