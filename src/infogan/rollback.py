"""What happens when a loss becomes NaN or infinite: stop, or roll back and halve the rates.

``on_divergence="stop"`` ends the run with a ``DivergenceError`` naming the loss and step;
the last good checkpoint stays. ``"rollback"`` reloads the newest checkpoint, halves every
learning rate and continues, at most ``MAX_ROLLBACKS`` times.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from infogan.checkpoint import load_latest_checkpoint, restore_from_checkpoint
from infogan.config import TrainConfig
from infogan.distributed import is_writer
from infogan.errors import DivergenceError
from infogan.run_folder import CHECKPOINT_DIR, truncate_metrics
from infogan.schedule import all_rates, set_rates

if TYPE_CHECKING:
    from infogan.trainer import TrainingState

MAX_ROLLBACKS = 5  # then stop: the learning rates are 1/32 of the start


def diverged_losses(metrics: dict[str, float]) -> list[str]:
    """The names of the metrics that are NaN or infinite, sorted.

    The trainer passes ``IntervalMeans.nonfinite()``: the metrics' sums since the last log
    line, which are NaN or infinite exactly when some step's value was. It checks them
    after every step of a one-process CPU run (where reading them costs nothing), and on
    CUDA or in a distributed run at every step that writes something (a log line, an
    evaluation, an image grid, a checkpoint), so no checkpoint ever holds a diverged state.
    """
    return sorted(name for name, value in metrics.items() if not math.isfinite(value))


def check_finite(metrics: dict[str, float], step: int, first_unchecked: int | None = None) -> None:
    """Stop with a clear error naming the loss that became NaN or infinite at ``step`` (or, when
    the steps since ``first_unchecked`` were not checked one by one, in that span)."""
    bad = diverged_losses(metrics)
    if bad:
        span = f"at step {step}" if first_unchecked in (None, step) else f"between steps {first_unchecked} and {step}"
        raise DivergenceError(
            f"{bad[0]} became {metrics[bad[0]]} {span}; the last good checkpoint is kept "
            "(--resume with --on-divergence rollback retries it with halved learning rates)"
        )


def roll_back(state: TrainingState, config: TrainConfig, run_dir: Path, metrics: dict[str, float]) -> dict:
    """Reload the newest checkpoint into ``state`` with every learning rate halved; returns the
    ``rollback`` record for metrics.jsonl.

    The rates are halved from the current ones (not the checkpoint's), so repeated rollbacks
    compound; the halved rates live in the optimiser states and so survive a resume.
    """
    diverged_step, bad = state.step, diverged_losses(metrics)
    optimizers = (state.optimizer_g, state.optimizer_d)
    rates = all_rates(*optimizers)
    device = next(state.generator.parameters()).device
    checkpoint = load_latest_checkpoint(Path(run_dir) / CHECKPOINT_DIR, device)
    if checkpoint is None:
        raise DivergenceError(
            f"{bad[0]} became {metrics[bad[0]]} at step {diverged_step}, before any checkpoint to roll back to"
        )
    restore_from_checkpoint(state, checkpoint, config)
    set_rates([rate / 2 for rate in rates], *optimizers)
    if is_writer():
        truncate_metrics(run_dir, state.step)
    return {
        "kind": "rollback",
        "step": state.step,
        "diverged_step": diverged_step,
        "losses": bad,
        "lr_g": state.optimizer_g.param_groups[0]["lr"],
        "lr_d": state.optimizer_d.param_groups[0]["lr"],
    }
