"""Helpers for the tests of run folders (checkpoint, resume, bad input, export): tiny runs and comparisons."""

from __future__ import annotations

import errno
import gzip
import hashlib
import itertools
import json
import os
from collections.abc import Container
from pathlib import Path

import pytest
import torch

from infogan import trainer
from infogan.checkpoint import checkpoint_name, load_checkpoint
from infogan.cli import main
from infogan.config import TrainConfig
from infogan.data.idx import BUNDLED_MNIST
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.run_folder import CHECKPOINT_DIR, METRICS_FILE

# tiny_config()'s sizes as CLI flags: batch 16, metrics every 2 steps, no evaluation, CPU, seed 0 (the
# rates and initialisation are the mnist preset's, not TrainConfig's defaults as in tiny_config()).
TINY_FLAGS = [
    "--batch-size",
    "16",
    "--log-every",
    "2",
    "--image-every",
    "4",
    "--checkpoint-every",
    "2",
    "--eval-every",
    "0",
    "--device",
    "cpu",
    "--seed",
    "0",
    "--no-progress",
]
BANNER_PREFIXES = ("infogan: training ", "infogan: latent ")


def tiny_config(**changes: object) -> TrainConfig:
    """The MNIST networks and codes, 8 steps of batch 16, checkpoints every 2 steps, on the CPU."""
    config = TrainConfig(
        latent=LatentSpec(Noise(62), parse_codes("cat:10,unif:2")),
        steps=8,
        batch_size=16,
        log_every=2,
        image_every=4,
        checkpoint_every=2,
        eval_every=0,
        device="cpu",
    )
    return config.with_changes(**changes)


def small_test_data_dir(folder: Path, test_images: int = 500) -> Path:
    """A data folder with the bundled training files and only the first ``test_images`` test
    images and labels, so that evaluations in tests are quick."""
    data_dir = folder / "data"
    data_dir.mkdir()
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (data_dir / f"{stem}.gz").symlink_to(BUNDLED_MNIST / f"{stem}.gz")
    for stem, header_size, item_size in (("t10k-images-idx3-ubyte", 16, 28 * 28), ("t10k-labels-idx1-ubyte", 8, 1)):
        whole = gzip.decompress((BUNDLED_MNIST / f"{stem}.gz").read_bytes())
        raw = bytearray(whole[: header_size + test_images * item_size])
        raw[4:8] = test_images.to_bytes(4, "big")
        (data_dir / stem).write_bytes(bytes(raw))
    return data_dir


def run_cli(arguments: list[object], capsys) -> tuple[int, list[str]]:
    """Run ``infogan ARGUMENTS`` in this process: (exit status, stderr lines)."""
    status = main([str(argument) for argument in arguments])
    return status, capsys.readouterr().err.strip().splitlines()


def problem_lines(stderr_lines: list[str]) -> list[str]:
    """stderr without the two banner lines the train command prints once training starts."""
    return [line for line in stderr_lines if not line.startswith(BANNER_PREFIXES)]


def metrics_without_time(run_dir: Path) -> list[dict]:
    """metrics.jsonl records without their wall-clock ``time_s``."""
    lines = (Path(run_dir) / METRICS_FILE).read_text().splitlines()
    return [{key: value for key, value in json.loads(line).items() if key != "time_s"} for line in lines]


def assert_identical(first: object, second: object, where: str = "checkpoint") -> None:
    """Nested dicts/lists of tensors and plain values are equal, tensors bit for bit (torch.equal)."""
    if isinstance(first, torch.Tensor):
        assert isinstance(second, torch.Tensor) and first.dtype == second.dtype, where
        assert torch.equal(first, second), f"{where} differs"
    elif isinstance(first, dict):
        assert isinstance(second, dict) and sorted(first, key=str) == sorted(second, key=str), f"{where} keys differ"
        for key in first:
            assert_identical(first[key], second[key], f"{where}[{key!r}]")
    elif isinstance(first, (list, tuple)):
        assert isinstance(second, (list, tuple)) and len(first) == len(second), f"{where} lengths differ"
        for index, (left, right) in enumerate(zip(first, second)):
            assert_identical(left, right, f"{where}[{index}]")
    else:
        assert first == second, f"{where}: {first!r} != {second!r}"


def assert_same_run(run_dir: Path, reference_dir: Path, step: int, ignore: tuple[str, ...] = ()) -> None:
    """The step checkpoints (all but elapsed time and ``ignore``) and metrics lines (all but time_s) are identical."""
    name = checkpoint_name(step)
    state = load_checkpoint(Path(run_dir) / CHECKPOINT_DIR / name)
    reference = load_checkpoint(Path(reference_dir) / CHECKPOINT_DIR / name)
    for key in ("elapsed_s", *ignore):
        state.pop(key), reference.pop(key)
    for part in ("generator", "discriminator"):  # the weights first, for the clearest failure
        assert_identical(state[part], reference[part], part)
    assert_identical(state, reference)
    assert metrics_without_time(run_dir) == metrics_without_time(reference_dir)


def fingerprint(folder: Path) -> dict[str, tuple]:
    """Every file under ``folder``: size and modification time, plus a hash of the small ones."""
    prints = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            status = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if status.st_size < 1 << 20 else None
            prints[str(path.relative_to(folder))] = (status.st_size, status.st_mtime_ns, digest)
    return prints


def interrupt_in_step(monkeypatch, step: int) -> None:
    """Make this process's ``step``-th training step raise KeyboardInterrupt, as Ctrl-C would."""
    real_step, calls = trainer.train_step, []

    def interrupted_step(*args):
        calls.append(1)
        if len(calls) == step:
            raise KeyboardInterrupt
        return real_step(*args)

    monkeypatch.setattr(trainer, "train_step", interrupted_step)


def train_until_interrupted(monkeypatch, config, run_dir: Path, step: int) -> None:
    """Train ``config`` into ``run_dir`` with Ctrl-C arriving in its ``step``-th step; the patch is undone after."""
    interrupt_in_step(monkeypatch, step)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(config, run_dir, progress=False)
    monkeypatch.undo()


def poison_generator_loss(monkeypatch, poisoned_calls: Container[int]) -> None:
    """Make G's loss NaN on the given calls (1 = the first training step of this process)."""
    real_loss, calls = trainer.generator_loss, itertools.count(1)

    def generator_loss(*args, **kwargs):
        total, parts = real_loss(*args, **kwargs)
        if next(calls) in poisoned_calls:
            return total * float("nan"), {**parts, "loss/g": float("nan")}
        return total, parts

    monkeypatch.setattr(trainer, "generator_loss", generator_loss)


def fill_disk_after(limit_bytes: int):
    """An ``os.fdopen`` whose files raise ENOSPC once ``limit_bytes`` have been written to one of them."""
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, stream):
            self.stream, self.written = stream, 0

        def __enter__(self):
            return self

        def __exit__(self, *exception):
            self.stream.close()

        def write(self, data):
            if self.written + len(data) > limit_bytes:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.written += len(data)
            return self.stream.write(data)

        def flush(self):
            self.stream.flush()

        def fileno(self):
            return self.stream.fileno()

    return lambda handle, mode="r", *rest, **options: FullDisk(real_fdopen(handle, mode, *rest, **options))
