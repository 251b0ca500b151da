"""Runs that survive: a resumed run ends bit-identical to an uninterrupted one on the CPU.

"Identical" means every tensor of the final checkpoint (weights, batch-norm statistics,
Adam moments, random states) is ``torch.equal`` and every metrics.jsonl line matches but
for its wall-clock ``time_s``. The fast test interrupts the shared tiny run's config in this
process; the slow ones interrupt longer runs between checkpoints, tear checkpoints, and SIGKILL a
real ``python -m infogan train`` mid-training and mid-checkpoint-write.
"""

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from infogan import trainer
from infogan.checkpoint import checkpoint_name, list_checkpoints, load_checkpoint, save_checkpoint
from infogan.errors import CheckpointError, DivergenceError, InfoganWarning
from infogan.run_folder import CHECKPOINT_DIR, read_config, read_metrics
from run_folders import (
    TINY_FLAGS,
    assert_same_run,
    fingerprint,
    metrics_without_time,
    poison_generator_loss,
    problem_lines,
    run_cli,
    tiny_config,
    train_until_interrupted,
)


def test_interrupted_then_resumed_ends_bit_identical_to_the_tiny_run(tiny_run, tmp_path, monkeypatch):
    """The shared run's config with a checkpoint every step, interrupted in step 2, resumed from step 1."""
    config, run_dir = tiny_config(steps=2, checkpoint_every=1), tmp_path / "run"
    train_until_interrupted(monkeypatch, config, run_dir, 2)
    assert [step for step, _ in list_checkpoints(run_dir / CHECKPOINT_DIR)] == [1] and read_metrics(run_dir) == []
    trainer.train(config, run_dir, resume=True, progress=False)
    assert_same_run(run_dir, tiny_run, 2, ignore=("config",))  # the configs differ in checkpoint_every


REFERENCE = tiny_config(steps=5, checkpoint_every=3)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> Path:
    """REFERENCE trained without interruption: checkpoints at steps 3 and 5, metrics lines at 2, 4 and 5."""
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    trainer.train(REFERENCE, run_dir, progress=False)
    return run_dir


@pytest.mark.slow
def test_interrupted_between_checkpoints_then_resumed_is_bit_identical(reference_run, tmp_path, monkeypatch):
    """Interrupted in step 5: resumes from the checkpoint of step 3, rewrites the lost log line 4."""
    config, run_dir = REFERENCE, tmp_path / "run"
    train_until_interrupted(monkeypatch, config, run_dir, 5)
    assert [step for step, _ in list_checkpoints(run_dir / CHECKPOINT_DIR)] == [3]
    assert [record["step"] for record in read_metrics(run_dir)] == [2, 4]  # line 4 came after the checkpoint
    trainer.train(config, run_dir, resume=True, progress=False)
    assert_same_run(run_dir, reference_run, 5)


@pytest.mark.slow
def test_interrupted_run_with_the_contrastive_regulariser_resumes_bit_identical(tmp_path, monkeypatch):
    """InfoGAN-CR on, alpha rising at step 4 (the CR network restarts there): interrupted in step 5,
    resumed from step 3, it ends as the uninterrupted run, CR network and its Adam included."""
    config = REFERENCE.with_changes(cr_weight=1.0, cr_schedule="progressive:4")
    trainer.train(config, tmp_path / "reference", progress=False)
    train_until_interrupted(monkeypatch, config, tmp_path / "run", 5)
    trainer.train(config, tmp_path / "run", resume=True, progress=False)
    assert "contrastive" in load_checkpoint(tmp_path / "run" / CHECKPOINT_DIR / checkpoint_name(5))
    assert_same_run(tmp_path / "run", tmp_path / "reference", 5)


@pytest.mark.slow
def test_extended_run_with_a_torn_newest_checkpoint_is_bit_identical(reference_run, tmp_path):
    """4 steps, the step-4 checkpoint torn, then resumed to 5 steps: skips it with a warning, resumes at 3."""
    run_dir = tmp_path / "run"
    trainer.train(REFERENCE.with_changes(steps=4), run_dir, progress=False)  # checkpoints at steps 3 and 4
    newest = run_dir / CHECKPOINT_DIR / checkpoint_name(4)
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 3])
    with pytest.warns(InfoganWarning, match=f"skipping checkpoint: {newest} is truncated"):
        trainer.train(REFERENCE, run_dir, resume=True, progress=False)
    assert_same_run(run_dir, reference_run, 5)


@pytest.fixture(scope="module")
def refused_run(tiny_run, tmp_path_factory) -> Path:
    """A copy of the shared 2-step run, for the resumes that must be refused."""
    return Path(shutil.copytree(tiny_run, tmp_path_factory.mktemp("refused") / "run"))


@pytest.mark.parametrize(
    "change",
    [
        {"seed": 5},
        {"lr_d": 1e-4},
        {"lr_g": 5e-4},
        {"lr_q": 1e-3},
        {"batch_size": 8},
        {"weight_init": "pytorch"},
        {"cr_weight": 1.0},
    ],
)
def test_api_resume_refuses_a_changed_seed_lr_or_batch_and_keeps_the_run(refused_run, change):
    """The Python API refuses what the CLI refuses, before touching the run's files."""
    before = fingerprint(refused_run)
    flag = {"weight_init": "init"}.get(next(iter(change)), next(iter(change))).replace("_", "-")
    with pytest.raises(CheckpointError, match=f"--{flag} cannot change when resuming"):
        config = read_config(refused_run).with_changes(steps=4, **change)
        trainer.train(config, refused_run, resume=True, progress=False)
    assert fingerprint(refused_run) == before


REFUSED_CHANGES = {
    "categorical code": (["--codes", "cat:5,unif:2"], "latent spec"),
    "continuous codes": (["--codes", "cat:10,unif:3"], "latent spec"),
    "noise size": (["--noise", "10"], "latent spec"),
    "preset (its codes)": (["--preset", "mnist-paper"], "--preset cannot change when resuming"),
    "batch size": (["--batch-size", "32"], "--batch-size cannot change when resuming"),
    "seed": (["--seed", "3"], "--seed cannot change when resuming"),
    "weight initialisation": (["--init", "pytorch"], "--init cannot change when resuming"),
}


@pytest.mark.parametrize("change", sorted(REFUSED_CHANGES))
def test_resume_refuses_a_changed_latent_spec_or_setting(refused_run, capsys, change):
    arguments, expected = REFUSED_CHANGES[change]
    before = fingerprint(refused_run)
    status, lines = run_cli(["train", "--resume", refused_run, *arguments, "--no-progress"], capsys)
    assert status == 2 and len(lines) == 1 and lines[0].startswith("infogan: error: ") and expected in lines[0]
    assert fingerprint(refused_run) == before


def test_resume_refuses_a_checkpoint_of_another_architecture(refused_run, tmp_path, capsys):
    """config.json agrees with the command line but the checkpoint was made by other networks."""
    run_dir = tmp_path / "run"
    (run_dir / CHECKPOINT_DIR).mkdir(parents=True)
    shutil.copy(refused_run / "config.json", run_dir / "config.json")
    state = load_checkpoint(refused_run / CHECKPOINT_DIR / checkpoint_name(2))
    state["config"] = state["config"].replace('"architecture": "mnist"', '"architecture": "celeba"')
    save_checkpoint(run_dir / CHECKPOINT_DIR / checkpoint_name(2), state)
    status, lines = run_cli(["train", "--resume", run_dir, "--steps", "4", "--no-progress"], capsys)
    assert status == 2 and problem_lines(lines) == [
        (
            "infogan: error: the checkpoint was trained with another architecture, dataset or latent spec; "
            "resume with the run's own settings or start a new run with --out"
        )
    ]
    assert [step for step, _ in list_checkpoints(run_dir / CHECKPOINT_DIR)] == [2]


@pytest.mark.slow
def test_resume_accepts_more_steps(refused_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(refused_run, run_dir)
    status, lines = run_cli(["train", "--out", run_dir, "--resume", "--steps", "4", "--no-progress"], capsys)
    assert status == 0 and lines[0] == f"infogan: training mnist from step 2 to step 4 in {run_dir}"
    assert [step for step, _ in list_checkpoints(run_dir / CHECKPOINT_DIR)] == [2, 4]
    assert [record["step"] for record in read_metrics(run_dir)] == [2, 4]


@pytest.mark.slow
def test_rollback_reloads_the_last_checkpoint_and_halves_the_learning_rates(tmp_path, monkeypatch):
    config, run_dir = tiny_config(steps=4, on_divergence="rollback"), tmp_path / "run"
    poison_generator_loss(monkeypatch, {3})
    trainer.train(config, run_dir, progress=False)
    rollback = read_metrics(run_dir, "rollback")
    assert rollback == [
        {
            "kind": "rollback",
            "step": 2,
            "diverged_step": 3,
            "losses": ["loss/g"],
            "lr_g": config.lr_g / 2,
            "lr_d": config.lr_d / 2,
        }
    ]
    assert [record["step"] for record in read_metrics(run_dir, "train")] == [2, 4]
    final = load_checkpoint(run_dir / CHECKPOINT_DIR / checkpoint_name(4))
    assert final["optimizer_g"]["param_groups"][0]["lr"] == config.lr_g / 2
    assert final["optimizer_d"]["param_groups"][0]["lr"] == config.lr_d / 2
    assert all(torch.isfinite(tensor).all() for tensor in final["generator"].values())


@pytest.mark.slow
def test_rollback_gives_up_after_max_rollbacks(tmp_path, monkeypatch):
    monkeypatch.setattr(trainer, "MAX_ROLLBACKS", 2)
    poison_generator_loss(monkeypatch, range(3, 100))
    run_dir = tmp_path / "run"
    with pytest.raises(DivergenceError, match="loss/g became nan at step 3"):
        trainer.train(tiny_config(steps=4, on_divergence="rollback"), run_dir, progress=False)
    assert len(read_metrics(run_dir, "rollback")) == 2
    assert [step for step, _ in list_checkpoints(run_dir / CHECKPOINT_DIR)] == [2]
    lr_halved_twice = load_checkpoint(run_dir / CHECKPOINT_DIR / checkpoint_name(2))["optimizer_g"]["param_groups"]
    assert lr_halved_twice[0]["lr"] == tiny_config().lr_g  # the checkpoint itself is untouched


def test_rollback_before_any_checkpoint_stops(tmp_path, monkeypatch):
    poison_generator_loss(monkeypatch, {1})
    with pytest.raises(DivergenceError, match="loss/g became nan at step 1, before any checkpoint"):
        trainer.train(tiny_config(steps=2, on_divergence="rollback"), tmp_path / "run", progress=False)


# ---- Real kills: a separate `python -m infogan train` process, SIGKILLed, then resumed. ----

KILL_STEPS = 6
SLOW_CHECKPOINT_WRITE = r"""
import io, pathlib, sys, time
import torch
from infogan.cli import main

real_save, marker, slow_step = torch.save, pathlib.Path(sys.argv[1]), int(sys.argv[2])

def half_then_hang(state, stream):
    # The checkpoint of ``slow_step``: write half of it, say so, and hang until killed.
    if not (isinstance(state, dict) and state.get("step") == slow_step):
        return real_save(state, stream)
    whole = io.BytesIO()
    real_save(state, whole)
    stream.write(whole.getvalue()[: whole.tell() // 2])
    stream.flush()
    marker.touch()
    time.sleep(600)

torch.save = half_then_hang
sys.exit(main(sys.argv[3:]))
"""


def infogan_command(*arguments: object) -> list[str]:
    return [sys.executable, "-m", "infogan", *map(str, arguments)]


def train_flags(run_dir: Path) -> list[str]:
    return ["train", "--out", str(run_dir), "--steps", str(KILL_STEPS), *TINY_FLAGS]


@pytest.fixture(scope="module")
def subprocess_reference(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("killed-reference") / "run"
    subprocess.run(infogan_command(*train_flags(run_dir)), check=True, capture_output=True, timeout=300)
    return run_dir


def kill_when(process: subprocess.Popen, exists: Path, timeout_s: float = 120) -> None:
    """SIGKILL ``process`` as soon as the file ``exists`` appears."""
    deadline = time.monotonic() + timeout_s
    while not exists.exists():
        assert process.poll() is None, f"the run ended before {exists.name} appeared"
        assert time.monotonic() < deadline, f"{exists.name} did not appear"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def resume_in_subprocess(run_dir: Path) -> list[str]:
    """``infogan train --resume RUN_DIR``; returns its stderr lines."""
    finished = subprocess.run(
        infogan_command("train", "--resume", run_dir, "--no-progress"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stderr.strip().splitlines()


@pytest.mark.slow
def test_sigkill_mid_training_then_resume_is_bit_identical(subprocess_reference, tmp_path):
    """Killed just after the step-4 checkpoint; that checkpoint is then torn too: resumes at 2."""
    run_dir = tmp_path / "run"
    with subprocess.Popen(infogan_command(*train_flags(run_dir)), stderr=subprocess.DEVNULL) as process:
        kill_when(process, run_dir / CHECKPOINT_DIR / checkpoint_name(4))
    steps = [step for step, _ in list_checkpoints(run_dir / CHECKPOINT_DIR)]
    assert steps[-1] < KILL_STEPS, "the kill came too late"
    newest = run_dir / CHECKPOINT_DIR / checkpoint_name(steps[-1])
    newest.write_bytes(newest.read_bytes()[:1000])
    lines = resume_in_subprocess(run_dir)
    warnings = [line for line in lines if "warning" in line.lower()]
    assert warnings == [
        f"infogan: warning: taking over the lock of {run_dir} from process {process.pid}, which has ended",
        f"infogan: warning: skipping checkpoint: {newest} is truncated or corrupt (RuntimeError)",
    ]
    assert_same_run(run_dir, subprocess_reference, KILL_STEPS)


@pytest.mark.slow
def test_sigkill_during_a_checkpoint_write_then_resume_is_bit_identical(subprocess_reference, tmp_path):
    """Killed halfway through writing the step-4 checkpoint: the half file is a stray temporary, removed on resume."""
    run_dir, marker = tmp_path / "run", tmp_path / "writing"
    command = [sys.executable, "-c", SLOW_CHECKPOINT_WRITE, str(marker), "4", *train_flags(run_dir)]
    with subprocess.Popen(command, stderr=subprocess.DEVNULL) as process:
        kill_when(process, marker)
    folder = run_dir / CHECKPOINT_DIR
    assert [step for step, _ in list_checkpoints(folder)] == [2]
    (stray,) = folder.glob(f".{checkpoint_name(4)}.*.tmp")
    assert stray.stat().st_size > 0
    warnings = [line for line in resume_in_subprocess(run_dir) if "warning" in line]
    assert warnings == [  # the killed process's lock, nothing about the half-written checkpoint
        f"infogan: warning: taking over the lock of {run_dir} from process {process.pid}, which has ended"
    ]
    assert not list(folder.glob(".*.tmp"))
    assert_same_run(run_dir, subprocess_reference, KILL_STEPS)
    assert metrics_without_time(run_dir)[-1]["step"] == KILL_STEPS
