"""The CLI end to end on a tiny real MNIST run, through subprocesses as a user runs it (slow), and the
bad input of the commands other than ``train`` (test_bad_input.py has train's), in this process."""

import json
import subprocess
import sys

import pytest

from infogan.evaluate.run_metrics import evaluate_run
from infogan.loaded_run import load_run
from run_folders import run_cli


def infogan(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "infogan", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.slow
def test_train_evaluate_traverse_sample_resume(tmp_path):
    run_dir = tmp_path / "run"
    tiny = [
        "--batch-size",
        "16",
        "--log-every",
        "2",
        "--checkpoint-every",
        "2",
        "--image-every",
        "2",
        "--eval-every",
        "2",
        "--no-progress",
    ]
    result = infogan("train", "--steps", "4", "--out", run_dir, *tiny)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "best.pt",
        "step_00000002.pt",
        "step_00000004.pt",  # best.pt: the best eval/c1/accuracy so far
    ]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["steps"] == 4 and config["batch_size"] == 16 and config["latent"]["noise"]["dim"] == 62
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [2, 4]
    assert all(r["entropy/c1"] == pytest.approx(2.302585) for r in records if r["kind"] == "train")
    assert (run_dir / "traversal.png").exists() and (run_dir / "traversal_c2.png").exists()

    result = infogan("evaluate", run_dir, "--json", "--samples", "200", "--no-fid", "--no-attributes")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["step"] == 4
    c1 = scores["codes"]["c1"]
    assert c1["entropy_nats"] == pytest.approx(2.302585)
    # The command prints what the library computes for the same run (floats up to the other
    # process's summation order).
    library = evaluate_run(load_run(run_dir), samples=200, attributes=False, fid=False)
    assert scores["codes"].keys() == library["codes"].keys()
    for name, expected in library["codes"].items():
        assert scores["codes"][name].keys() == expected.keys(), name
        for key, value in expected.items():
            wanted = pytest.approx(value, rel=1e-4, abs=1e-6) if isinstance(value, float) else value
            assert scores["codes"][name][key] == wanted, (name, key)

    out = tmp_path / "grid.png"
    result = infogan("traverse", run_dir, "--out", out)
    assert result.returncode == 0, result.stderr
    from PIL import Image

    assert Image.open(out).size == (10 * 30, 10 * 30)
    assert Image.open(tmp_path / "grid_c3.png").size == (300, 300)
    result = infogan("sample", run_dir, "--n", "9", "--out", tmp_path / "s.png", "--code", "c1=3", "--code", "c2=1.5")
    assert result.returncode == 0 and Image.open(tmp_path / "s.png").size == (90, 90)

    result = infogan("train", "--steps", "6", "--out", run_dir, "--resume", *tiny)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [2, 4, 6]
    result = infogan("train", "--steps", "8", "--out", run_dir, "--resume", "--reuse-fakes", *tiny)
    assert result.returncode == 2 and "--reuse-fakes cannot change when resuming" in result.stderr

    reused_dir = tmp_path / "reused"
    result = infogan("train", "--steps", "2", "--reuse-fakes", "--out", reused_dir, *tiny)
    assert result.returncode == 0, result.stderr
    assert json.loads((reused_dir / "config.json").read_text())["reuse_fakes"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["frobnicate"], "argument command: invalid choice: 'frobnicate' (choose from 'train', 'evaluate',"),
        (["evaluate", "/definitely/missing", "--no-fid"], "run folder /definitely/missing does not exist"),
    ],
)
def test_an_unknown_command_or_missing_run_is_one_line_and_exit_2(args, message, capsys):
    """The bad input of the other commands; ``train``'s is in test_bad_input.py, with one real process."""
    status, lines = run_cli(args, capsys)
    assert status == 2 and len(lines) == 1 and lines[0].startswith("infogan: error: ") and message in lines[0], lines
