"""Bad input to ``infogan train``: exit status 2, one line on stderr naming the problem, no run harmed.

Every case that fails before training points ``--out`` at an existing run with
``--overwrite`` (the most dangerous flag) unless the case is about the output folder: the
run's files must be untouched afterwards. The two cases that fail during training (a full
disk, a NaN loss) continue a copy of that run and must leave its last checkpoint intact.
"""

import gzip
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from infogan import files as files_module
from infogan.checkpoint import checkpoint_name, list_checkpoints, load_checkpoint
from infogan.presets import PRESETS
from infogan.run_folder import CHECKPOINT_DIR
from run_folders import TINY_FLAGS, fill_disk_after, fingerprint, poison_generator_loss, problem_lines, run_cli


@pytest.fixture(scope="module")
def existing_run(tiny_run, tmp_path_factory) -> Path:
    """A copy of the finished 2-step run: the run that no bad input may delete or corrupt."""
    return Path(shutil.copytree(tiny_run, tmp_path_factory.mktemp("existing") / "run"))


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    return bytes([0, 0, type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def data_dir_with(tmp_path: Path, images: bytes, labels: bytes, compressed: bool = False) -> Path:
    """A data folder whose MNIST training files hold the given bytes (raw files skip the MD5 check)."""
    folder = tmp_path / "data"
    folder.mkdir()
    for stem, content in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        if compressed:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(content, mtime=0))
        else:
            (folder / stem).write_bytes(content)
    return folder


KNOWN_PRESETS = ", ".join(sorted(PRESETS))
IMAGES = idx_bytes(np.zeros((20, 28, 28), dtype=np.uint8))
LABELS = idx_bytes(np.zeros(20, dtype=np.uint8))


def overwriting(run: Path, *extra: object) -> list[object]:
    """Replace ``run`` with a new 2-step run: refused before anything is deleted, or the test fails."""
    return ["train", "--out", run, "--overwrite", "--steps", "2", *TINY_FLAGS, *extra]


# name: (arguments from (tmp_path, existing run), a piece of the one stderr line)
CASES = {
    "unknown preset": (
        lambda tmp, run: overwriting(run, "--preset", "mnist-huge"),
        f"unknown preset 'mnist-huge'; known presets: {KNOWN_PRESETS}",
    ),
    "unknown device": (
        lambda tmp, run: overwriting(run, "--device", "tpu"),
        "argument --device: invalid choice: 'tpu'",
    ),
    "unknown mode": (lambda tmp, run: overwriting(run, "--mode", "supervised"), "argument --mode: invalid choice"),
    "unknown divergence policy": (
        lambda tmp, run: overwriting(run, "--on-divergence", "retry"),
        "argument --on-divergence: invalid choice: 'retry'",
    ),
    "unknown option": (lambda tmp, run: overwriting(run, "--learning-rate", "1"), "unrecognized arguments"),
    "steps not a number": (lambda tmp, run: overwriting(run, "--steps", "ten"), "invalid int value: 'ten'"),
    "spec: zero categories": (
        lambda tmp, run: overwriting(run, "--codes", "cat:0,unif:2"),
        "categorical code c1 needs at least 2 categories, got 0",
    ),
    "spec: low >= high": (
        lambda tmp, run: overwriting(run, "--codes", "cat:10,unif:1:low=1:high=-1"),
        "uniform code c2 needs low < high",
    ),
    "spec: unknown kind": (lambda tmp, run: overwriting(run, "--codes", "cat:10,beta:2"), "unknown code kind 'beta'"),
    "spec: duplicate names": (
        lambda tmp, run: overwriting(run, "--codes", "cat:10:name=digit,unif:1:name=digit"),
        "duplicate code names",
    ),
    "spec: empty": (lambda tmp, run: overwriting(run, "--codes", " "), "code spec is empty"),
    "spec: lambda not finite": (
        lambda tmp, run: overwriting(run, "--codes", "cat:10:lambda=nan"),
        "lambda of c1 must be a finite number",
    ),
    "spec: input scale 0": (
        lambda tmp, run: overwriting(run, "--codes", "cat:10:scale=0,unif:2"),
        "input scale of c1 must be > 0, got 0.0",
    ),
    "spec: noise without size": (
        lambda tmp, run: overwriting(run, "--noise", "noise:many"),
        "must be a dimension below 10**9",
    ),
    "batch size 0": (
        lambda tmp, run: overwriting(run, "--batch-size", "0"),
        "batch-size must be a positive integer, got 0",
    ),
    "batch size negative": (lambda tmp, run: overwriting(run, "--batch-size", "-4"), "batch-size must be a positive"),
    "batch size above the data set": (
        lambda tmp, run: overwriting(run, "--batch-size", "60001"),
        "batch size 60001 exceeds the data set's 60000 images",
    ),
    "steps 0": (lambda tmp, run: overwriting(run, "--steps", "0"), "steps must be a positive integer, got 0"),
    "steps negative": (lambda tmp, run: overwriting(run, "--steps", "-3"), "steps must be a positive integer, got -3"),
    "epochs 0": (
        lambda tmp, run: ["train", "--out", run, "--overwrite", "--epochs", "0", *TINY_FLAGS],
        "epochs must be a positive number",
    ),
    "learning rate negative": (lambda tmp, run: overwriting(run, "--lr-d", "-0.1"), "lr-d must be a positive number"),
    "Q learning rate zero": (lambda tmp, run: overwriting(run, "--lr-q", "0"), "lr-q must be a positive number, got 0"),
    "data dir missing": (lambda tmp, run: overwriting(run, "--data-dir", tmp / "nowhere"), "does not exist"),
    "data dir without MNIST": (
        lambda tmp, run: overwriting(run, "--data-dir", tmp),
        "no train images (*train-images-idx3-ubyte[.gz]) in",
    ),
    "MD5 mismatch": (
        lambda tmp, run: overwriting(run, "--data-dir", data_dir_with(tmp, IMAGES, LABELS, compressed=True)),
        "does not match the published f68b3c2dcbeaaa9fbdd348bbdeb94873",
    ),
    "truncated IDX": (
        lambda tmp, run: overwriting(run, "--data-dir", data_dir_with(tmp, IMAGES[:-100], LABELS)),
        "file holds 15580 (truncated or corrupt)",
    ),
    "wrong magic number": (
        lambda tmp, run: overwriting(run, "--data-dir", data_dir_with(tmp, b"\x00\x00\x0d" + IMAGES[3:], LABELS)),
        "wrong magic number 3331",
    ),
    "image count != label count": (
        lambda tmp, run: overwriting(run, "--data-dir", data_dir_with(tmp, IMAGES, idx_bytes(np.zeros(21, np.uint8)))),
        "holds 20 images but",
    ),
    "folder holds another run": (
        lambda tmp, run: ["train", "--out", run, "--steps", "2", *TINY_FLAGS],
        "already holds a run; pass --resume to continue it or --overwrite to replace it",
    ),
    "folder holds other files": (
        lambda tmp, run: ["train", "--out", tmp, "--overwrite", *TINY_FLAGS],
        "is not empty and holds no infogan run",
    ),
    "output is a file": (
        lambda tmp, run: ["train", "--out", run / "config.json", *TINY_FLAGS],
        "exists and is not a folder",
    ),
    "output under a file": (
        lambda tmp, run: ["train", "--out", run / "config.json" / "run", *TINY_FLAGS],
        "is not a folder",
    ),
    "resume without a run": (
        lambda tmp, run: ["train", "--resume", tmp / "nothing", "--no-progress"],
        "nothing does not exist",
    ),
    "resume and overwrite": (lambda tmp, run: ["train", "--out", run, "--resume", "--overwrite"], "contradict"),
    "CUDA asked for, none present": (
        lambda tmp, run: overwriting(run, "--device", "cuda"),
        "--device cuda was asked for but no CUDA GPU is available",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_and_harms_no_run(existing_run, tmp_path, capsys, case):
    if case.startswith("CUDA") and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    arguments, expected = CASES[case]
    (tmp_path / "someone-elses-file.txt").write_text("keep me")
    before = fingerprint(existing_run)
    status, lines = run_cli(arguments(tmp_path, existing_run), capsys)
    assert status == 2
    assert len(lines) == 1 and lines[0].startswith("infogan: error: ") and expected in lines[0], lines
    assert fingerprint(existing_run) == before
    assert (tmp_path / "someone-elses-file.txt").read_text() == "keep me"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; 'output under a file' covers it")
def test_unwritable_output_folder(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        status, lines = run_cli(["train", "--out", folder / "run", *TINY_FLAGS], capsys)
    finally:
        folder.chmod(0o700)
    assert status == 2 and len(lines) == 1 and "is not writable" in lines[0]


def continued_copy(existing_run: Path, tmp_path: Path) -> tuple[Path, list[object]]:
    """A copy of the run, and the arguments that continue it to step 4."""
    run_dir = tmp_path / "run"
    shutil.copytree(existing_run, run_dir)
    return run_dir, ["train", "--resume", run_dir, "--steps", "4", "--no-progress"]


def assert_last_checkpoint_intact(run_dir: Path, existing_run: Path) -> None:
    folder = run_dir / CHECKPOINT_DIR
    assert [step for step, _ in list_checkpoints(folder)] == [2] and not list(folder.glob(".*"))
    name = checkpoint_name(2)
    assert (folder / name).read_bytes() == (existing_run / CHECKPOINT_DIR / name).read_bytes()
    assert load_checkpoint(folder / name)["step"] == 2


def test_full_disk_while_writing_a_checkpoint(existing_run, tmp_path, capsys, monkeypatch):
    run_dir, arguments = continued_copy(existing_run, tmp_path)
    monkeypatch.setattr(files_module.os, "fdopen", fill_disk_after(1 << 20))  # the checkpoint is ~160 MB
    status, lines = run_cli(arguments, capsys)
    checkpoint = run_dir / CHECKPOINT_DIR / checkpoint_name(4)
    assert status == 2
    assert problem_lines(lines) == [f"infogan: error: could not write {checkpoint}: No space left on device"]
    assert_last_checkpoint_intact(run_dir, existing_run)


def test_nan_loss_stops_naming_the_loss_and_step(existing_run, tmp_path, capsys, monkeypatch):
    run_dir, arguments = continued_copy(existing_run, tmp_path)
    poison_generator_loss(monkeypatch, {1})  # the first step of this process: step 3
    status, lines = run_cli(arguments, capsys)
    assert status == 2 and problem_lines(lines) == [
        (
            "infogan: error: loss/g became nan at step 3; the last good checkpoint is kept "
            "(--resume with --on-divergence rollback retries it with halved learning rates)"
        )
    ]
    assert_last_checkpoint_intact(run_dir, existing_run)


def test_huge_learning_rate_diverges_with_a_clear_error(tmp_path, capsys):
    """A real divergence, no monkeypatching: Adam steps of 1e38 overflow at once."""
    arguments = ["train", "--out", tmp_path / "run", "--steps", "2", "--lr-d", "1e38", "--lr-g", "1e38", *TINY_FLAGS]
    status, lines = run_cli(arguments, capsys)
    assert status == 2 and len(problem_lines(lines)) == 1
    assert problem_lines(lines)[0].startswith("infogan: error: loss/") and "at step 1" in problem_lines(lines)[0]


@pytest.mark.slow
def test_a_real_process_exits_2_with_one_stderr_line(tmp_path):
    finished = subprocess.run(
        [sys.executable, "-m", "infogan", "train", "--preset", "nope", "--out", tmp_path / "run"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 2 and finished.stdout == ""
    assert finished.stderr.splitlines() == [f"infogan: error: unknown preset 'nope'; known presets: {KNOWN_PRESETS}"]
    assert not (tmp_path / "run").exists()
