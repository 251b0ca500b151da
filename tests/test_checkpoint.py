"""Checkpoints: atomic writes, a full disk, corrupt and unsafe files refused and skipped, keep-best."""

import io
import os
import pickle
import warnings

import numpy as np
import pytest
import torch

from infogan import files as files_module
from infogan import trainer
from infogan.checkpoint import (
    BEST_NAME,
    FORMAT_VERSION,
    checkpoint_name,
    list_checkpoints,
    load_checkpoint,
    load_latest_checkpoint,
    prune_checkpoints,
    remove_stray_temporaries,
    save_checkpoint,
    state_to_checkpoint,
    write_atomic,
)
from infogan.data import load_dataset
from infogan.errors import CheckpointError, InfoganError, InfoganWarning
from infogan.evaluate.clustering import clustering_accuracy
from infogan.evaluate.invariance import nudged_images
from infogan.loaded_run import load_run
from infogan.run_folder import CHECKPOINT_DIR, read_metrics, write_config
from run_folders import fill_disk_after, run_cli, tiny_config


def small_checkpoint(step: int) -> dict:
    """A checkpoint dict with every required key and one small tensor (no networks needed)."""
    return {
        "version": FORMAT_VERSION,
        "step": step,
        "config": "{}",
        "generator": {"weight": torch.arange(4.0) + step},
        "discriminator": {},
        "optimizer_g": {},
        "optimizer_d": {},
        "rng": {},
    }


def torch_bytes(value: object) -> bytes:
    stream = io.BytesIO()
    torch.save(value, stream)
    return stream.getvalue()


class PlantedPayload:
    """Unpickling this runs ``touch MARKER``: what a malicious checkpoint would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


GOOD = torch_bytes(small_checkpoint(4))
# Each is refused by load_checkpoint and skipped by load_latest_checkpoint.
CORRUPTIONS = {
    "truncated to half": GOOD[: len(GOOD) // 2],
    "last byte cut": GOOD[:-1],
    "empty file": b"",
    "random bytes": bytes(range(256)) * 4,
    "required keys missing": torch_bytes({"step": 4, "generator": {}}),
    "newer format version": torch_bytes({**small_checkpoint(4), "version": FORMAT_VERSION + 1}),
    "a tensor, not a dict": torch_bytes(torch.zeros(3)),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corrupt_newest_checkpoint_is_refused_and_skipped(tmp_path, corruption):
    save_checkpoint(tmp_path / checkpoint_name(2), small_checkpoint(2))
    (tmp_path / checkpoint_name(4)).write_bytes(CORRUPTIONS[corruption])
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path / checkpoint_name(4))
    assert "\n" not in str(refused.value) and checkpoint_name(4) in str(refused.value)
    with pytest.warns(InfoganWarning, match="skipping checkpoint"):
        assert load_latest_checkpoint(tmp_path)["step"] == 2


def planted_files(marker) -> dict[str, bytes]:
    return {
        "raw pickle, protocol 2": pickle.dumps(PlantedPayload(marker), protocol=2),
        "raw pickle, newest protocol": pickle.dumps(PlantedPayload(marker), protocol=pickle.HIGHEST_PROTOCOL),
        "inside a torch zip checkpoint": torch_bytes({**small_checkpoint(2), "generator": PlantedPayload(marker)}),
    }


@pytest.mark.parametrize("kind", sorted(planted_files("x")))
def test_planted_pickle_is_refused_without_running_it(tmp_path, kind):
    marker, control = tmp_path / "was-run", tmp_path / "control-was-run"
    pickle.loads(pickle.dumps(PlantedPayload(control)))  # the payload is live: a plain unpickler runs it
    assert control.exists()
    path = tmp_path / checkpoint_name(2)
    path.write_bytes(planted_files(marker)[kind])
    with pytest.raises(CheckpointError, match="a safe load refuses") as refused:
        load_checkpoint(path)
    assert "\n" not in str(refused.value)
    assert not marker.exists()


def test_planted_pickle_through_the_cli_is_one_error_line_and_never_runs(tmp_path, capsys):
    """A run whose only checkpoint is planted: sample and resume refuse it; the payload never runs."""
    marker, run_dir = tmp_path / "was-run", tmp_path / "run"
    (run_dir / CHECKPOINT_DIR).mkdir(parents=True)
    write_config(run_dir, tiny_config())
    (run_dir / CHECKPOINT_DIR / checkpoint_name(2)).write_bytes(planted_files(marker)["inside a torch zip checkpoint"])
    status, lines = run_cli(["sample", run_dir, "--out", tmp_path / "grid.png"], capsys)
    assert status == 2 and len(lines) == 2 and not marker.exists()
    assert lines[0].startswith("infogan: warning: skipping checkpoint:") and "safe load refuses" in lines[0]
    assert lines[1].startswith("infogan: error: no checkpoint in")
    status, lines = run_cli(["train", "--resume", run_dir, "--no-progress"], capsys)
    assert status == 2 and not marker.exists() and not any("Traceback" in line for line in lines)
    assert lines[-1] == (
        f"infogan: error: cannot resume {run_dir}: no step checkpoint can be loaded; start again with --overwrite"
    )


def test_skipped_checkpoint_warning_is_one_cli_line(tmp_path, capsys):
    """``sample`` on a run whose newest checkpoint is torn: one warning line, then the older one is used."""
    config, run_dir = tiny_config(), tmp_path / "run"
    (run_dir / CHECKPOINT_DIR).mkdir(parents=True)
    write_config(run_dir, config)
    state = trainer.build_training_state(config, torch.device("cpu"), dataset_size=64)
    save_checkpoint(run_dir / CHECKPOINT_DIR / checkpoint_name(2), state_to_checkpoint(state, config))
    good = (run_dir / CHECKPOINT_DIR / checkpoint_name(2)).read_bytes()
    (run_dir / CHECKPOINT_DIR / checkpoint_name(4)).write_bytes(good[: len(good) // 3])
    status, lines = run_cli(["sample", run_dir, "--out", tmp_path / "grid.png", "--n", "4"], capsys)
    assert status == 0 and (tmp_path / "grid.png").exists()
    torn = run_dir / CHECKPOINT_DIR / checkpoint_name(4)
    assert lines == [f"infogan: warning: skipping checkpoint: {torn} is truncated or corrupt (RuntimeError)"]


def test_full_disk_during_a_checkpoint_write_is_a_clear_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / checkpoint_name(2)
    save_checkpoint(path, small_checkpoint(2))
    before = path.read_bytes()
    monkeypatch.setattr(files_module.os, "fdopen", fill_disk_after(100))
    with pytest.raises(InfoganError, match="No space left on device") as failed:
        save_checkpoint(path, small_checkpoint(3))
    assert "\n" not in str(failed.value) and str(path) in str(failed.value)
    assert path.read_bytes() == before and sorted(tmp_path.iterdir()) == [path]  # no stray temporary


def test_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b"old")

    def interrupted(stream):
        stream.write(b"new, but")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, interrupted)
    assert path.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [path]


def test_stray_temporaries_are_removed_and_checkpoints_kept(tmp_path):
    save_checkpoint(tmp_path / checkpoint_name(2), small_checkpoint(2))
    stray = tmp_path / f".{checkpoint_name(4)}.k1lled.tmp"
    stray.write_bytes(GOOD[:100])
    assert remove_stray_temporaries(tmp_path) == [stray]
    assert sorted(tmp_path.iterdir()) == [tmp_path / checkpoint_name(2)]


def test_pruning_keeps_the_newest_k_and_best(tmp_path):
    for step in (2, 4, 6, 8):
        save_checkpoint(tmp_path / checkpoint_name(step), small_checkpoint(step))
    save_checkpoint(tmp_path / BEST_NAME, {**small_checkpoint(2), "best": {"metric": "eval/c1/accuracy", "value": 0.9}})
    prune_checkpoints(tmp_path, keep=2)
    assert [step for step, _ in list_checkpoints(tmp_path)] == [6, 8]
    assert load_checkpoint(tmp_path / BEST_NAME)["step"] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # best.pt is never a resume candidate: nothing skipped
        assert load_latest_checkpoint(tmp_path)["step"] == 8


def scripted_accuracies(monkeypatch, values: list[float]) -> None:
    """Replace the evaluation by a script of accuracies for c1, one per evaluation."""
    remaining = list(values)
    monkeypatch.setattr(
        trainer, "categorical_scores", lambda *args: {"c1": {"accuracy": remaining.pop(0), "nmi": 0.0, "ari": 0.0}}
    )


@pytest.mark.slow
def test_best_checkpoint_is_kept_beside_the_newest_and_survives_resume(tmp_path, monkeypatch):
    """Evaluations at steps 1, 2, 3 score 0.3, 0.5, 0.4: best.pt is step 2, kept beside the newest."""
    config = tiny_config(steps=3, eval_every=1, checkpoint_every=2, keep_checkpoints=1)
    run_dir = tmp_path / "run"
    scripted_accuracies(monkeypatch, [0.3, 0.5, 0.4])
    trainer.train(config, run_dir, progress=False)
    folder = run_dir / CHECKPOINT_DIR
    assert sorted(path.name for path in folder.iterdir()) == [BEST_NAME, checkpoint_name(3)]
    best = load_checkpoint(folder / BEST_NAME)
    assert best["step"] == 2 and best["best"] == {"metric": "eval/c1/accuracy", "value": 0.5}
    # The best score so far is checkpointed: 0.45 after a resume does not beat 0.5.
    scripted_accuracies(monkeypatch, [0.45])
    trainer.train(config.with_changes(steps=4), run_dir, resume=True, progress=False)
    assert load_checkpoint(folder / BEST_NAME)["step"] == 2
    assert [record["eval/c1/accuracy"] for record in read_metrics(run_dir, "eval")] == [0.3, 0.5, 0.4, 0.45]


@pytest.mark.slow
def test_best_checkpoint_holds_the_real_evaluation_score(tmp_path, small_data_dir):
    run_dir = tmp_path / "run"  # evaluated on the 500 test images of small_data_dir, so that it is quick
    trainer.train(
        tiny_config(steps=1, eval_every=1, checkpoint_every=1, data_dir=str(small_data_dir)), run_dir, progress=False
    )
    (evaluation,) = read_metrics(run_dir, "eval")
    best = load_checkpoint(run_dir / CHECKPOINT_DIR / BEST_NAME)
    assert best["step"] == 1 and best["best"]["value"] == evaluation["eval/c1/accuracy"]
    newest = load_checkpoint(run_dir / CHECKPOINT_DIR / checkpoint_name(1))
    assert torch.equal(best["generator"]["fully_connected.0.weight"], newest["generator"]["fully_connected.0.weight"])
    # The logged scores are those of the saved networks on the test images: accuracy, and the
    # label-free invariance (the share of categories that survive the pixel nudge) beside it.
    run, test_set = load_run(run_dir), load_dataset("mnist", "test", small_data_dir)
    predicted = run.predict(test_set.images).numpy()
    assert evaluation["eval/c1/accuracy"] == pytest.approx(clustering_accuracy(predicted, test_set.labels.numpy()))
    shifted = run.predict(nudged_images(test_set.images, run.output_activation, seed=0)).numpy()
    assert evaluation["eval/c1/invariance"] == pytest.approx(float(np.mean(shifted == predicted)))
