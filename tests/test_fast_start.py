"""The fast start: faster G and Q-head rates for the first N updates, then the run's own.

Checked on values: the optimisers' rates before and after the hand-over, a run that is
identical to a constant fast-rate run up to step N and different after it, a resume across
the hand-over that is bit-identical to an uninterrupted run, and bad input.
"""

import pytest
import torch

from infogan import trainer
from infogan.config import TrainConfig
from infogan.errors import InfoganError
from infogan.run_folder import read_config, read_metrics
from run_folders import TINY_FLAGS, assert_same_run, problem_lines, run_cli, tiny_config

FAST = {"fast_start_steps": 2, "fast_start_lr_g": 2e-3, "fast_start_lr_q": 1.6e-3}


def _rates(run_dir, step: int) -> tuple[list[float], list[float]]:
    """(G's group rates, D's group rates) saved in the checkpoint of ``step``."""
    saved = torch.load(run_dir / "checkpoints" / f"step_{step:08d}.pt", weights_only=False)
    return (
        [group["lr"] for group in saved["optimizer_g"]["param_groups"]],
        [group["lr"] for group in saved["optimizer_d"]["param_groups"]],
    )


@pytest.mark.slow
def test_rates_are_the_fast_ones_until_step_n_then_the_runs_own(tmp_path):
    config = tiny_config(steps=2, checkpoint_every=1, lr_d=8e-4, lr_g=1e-3, **FAST)
    trainer.train(config, tmp_path / "run", progress=False)
    assert _rates(tmp_path / "run", 1) == ([2e-3], [8e-4, 1.6e-3])
    lr_g, lr_d = _rates(tmp_path / "run", 2)  # the hand-over happens at the end of update 2
    assert lr_g == pytest.approx([1e-3], rel=1e-12)
    assert lr_d == pytest.approx([8e-4, 8e-4], rel=1e-12)  # lr_q unset: Q's head back to lr_d


@pytest.mark.slow
def test_the_run_equals_a_constant_fast_run_up_to_step_n_and_differs_after(tmp_path):
    fast = tiny_config(steps=4, log_every=1, checkpoint_every=4, lr_d=8e-4, **FAST)
    constant = fast.with_changes(fast_start_steps=0, fast_start_lr_g=None, fast_start_lr_q=None, lr_g=2e-3, lr_q=1.6e-3)
    trainer.train(fast, tmp_path / "fast", progress=False)
    trainer.train(constant, tmp_path / "constant", progress=False)
    lines = {
        name: {record["step"]: record["loss/g"] for record in read_metrics(tmp_path / name, "train")}
        for name in ("fast", "constant")
    }
    assert [lines["fast"][s] for s in (1, 2)] == [lines["constant"][s] for s in (1, 2)]
    assert lines["fast"][4] != lines["constant"][4]  # update 3 ran at the run's own rates


def test_no_fast_start_keeps_one_optimiser_group_for_d():
    state = trainer.build_training_state(tiny_config(), torch.device("cpu"), 100)
    assert len(state.optimizer_d.param_groups) == 1
    config = tiny_config(fast_start_steps=5, fast_start_lr_g=2e-3)
    state = trainer.build_training_state(config, torch.device("cpu"), 100)
    assert len(state.optimizer_d.param_groups) == 1
    assert state.optimizer_g.param_groups[0]["lr"] == 2e-3


@pytest.mark.slow
def test_resume_across_the_hand_over_is_bit_identical(tmp_path):
    """Stopped after step 1, before the hand-over at the end of step 2, then resumed to step 3."""
    # A metrics line at every step, as the stop writes one; checkpoints at the stop and the end.
    config = tiny_config(steps=3, log_every=1, checkpoint_every=3, **FAST)
    trainer.train(config, tmp_path / "whole", progress=False)
    trainer.train(config.with_changes(steps=1), tmp_path / "parts", progress=False)
    trainer.train(config, tmp_path / "parts", resume=True, progress=False)
    assert_same_run(tmp_path / "parts", tmp_path / "whole", 3)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"fast_start_steps": -1}, "fast-start must be >= 0"),
        ({"fast_start_lr_g": 0.0}, "fast-start-lr-g must be a positive number"),
        ({"fast_start_lr_q": float("nan")}, "fast-start-lr-q must be a positive number"),
    ],
)
def test_bad_fast_start_settings_are_refused(changes, message):
    with pytest.raises(InfoganError, match=message):
        TrainConfig(**changes)


def test_cli_fast_start_and_its_errors(tmp_path, capsys):
    run = tmp_path / "run"
    status, _ = run_cli(
        ["train", "--out", run, "--steps", "1", "--fast-start", "2", "--fast-start-lr-g", "3e-3", *TINY_FLAGS], capsys
    )
    assert status == 0
    assert read_config(run).fast_start_steps == 2 and read_config(run).fast_start_lr_g == 3e-3
    assert _rates(run, 1)[0] == [3e-3]  # G's rate until the hand-over after update 2
    status, lines = run_cli(["train", "--out", run, "--overwrite", "--fast-start", "-5", *TINY_FLAGS], capsys)
    assert status == 2 and problem_lines(lines) == ["infogan: error: fast-start must be >= 0 (0 turns it off)"]
    status, lines = run_cli(["train", "--resume", run, "--steps", "6", "--fast-start", "3", *TINY_FLAGS], capsys)
    assert status == 2
    assert problem_lines(lines) == [f"infogan: error: --fast-start cannot change when resuming ({run} uses 2, not 3)"]
