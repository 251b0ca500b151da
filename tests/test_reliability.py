"""Nothing lost, ever: every input is checked before a run is touched, only infogan's files go,
one process per run, and bad input is one line with exit status 2, never a traceback."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infogan.checkpoint import BEST_NAME
from infogan.errors import InfoganError
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.run_folder import CHECKPOINT_DIR, CONFIG_FILE, LOCK_FILE, METRICS_FILE, RunLock, read_config, read_metrics
from infogan.trainer import train
from run_folders import TINY_FLAGS, fingerprint, problem_lines, run_cli, small_test_data_dir, tiny_config

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A 4-step run with checkpoints at steps 2 and 4 and its traversal images."""
    run_dir = tmp_path_factory.mktemp("reliability") / "run"
    train(tiny_config(steps=4), run_dir, progress=False)
    return run_dir


def _link_checkpoints(source: str, target: str) -> None:
    """Checkpoints are hard-linked (infogan only ever replaces them by rename), the rest copied."""
    if source.endswith(".pt"):
        os.link(source, target)
    else:
        shutil.copy2(source, target)


@pytest.fixture
def run_copy(finished_run, tmp_path) -> Path:
    """A private copy of the finished run, for tests that try to harm it; a test that changes a
    checkpoint must unlink it first (its bytes are shared with the fixture's)."""
    return Path(shutil.copytree(finished_run, tmp_path / "run", copy_function=_link_checkpoints))


def one_error(status: int, lines: list[str], expected: str) -> None:
    problems = problem_lines(lines)
    assert status == 2 and len(problems) == 1, lines
    assert problems[0].startswith("infogan: error: ") and expected in problems[0], problems[0]


# Files deleted or rewritten -------------------------------------------------------------------


def test_overwrite_never_deletes_another_tools_files(tmp_path, capsys):
    folder = tmp_path / "theirs"
    (folder / CHECKPOINT_DIR).mkdir(parents=True)
    (folder / CHECKPOINT_DIR / "model.ckpt").write_bytes(b"someone else's weights")
    status, lines = run_cli(["train", "--out", folder, "--overwrite", "--steps", "2", *TINY_FLAGS], capsys)
    one_error(status, lines, "is not empty and holds no infogan run")
    assert (folder / CHECKPOINT_DIR / "model.ckpt").read_bytes() == b"someone else's weights"


@pytest.mark.slow
def test_overwrite_keeps_a_users_own_files_beside_the_run(run_copy, capsys):
    (run_copy / "notes.txt").write_text("mine")
    (run_copy / CHECKPOINT_DIR / "export.ckpt").write_text("mine too")
    status, _ = run_cli(["train", "--out", run_copy, "--overwrite", "--steps", "2", *TINY_FLAGS], capsys)
    assert status == 0
    assert (run_copy / "notes.txt").read_text() == "mine" and (run_copy / CHECKPOINT_DIR / "export.ckpt").exists()
    assert sorted(p.name for p in (run_copy / CHECKPOINT_DIR).glob("step_*.pt")) == ["step_00000002.pt"]


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--seed", str(2**64)], "seed must be an integer from 0 to 2**63 - 1"),
        (["--seed", "-1"], "seed must be an integer from 0 to 2**63 - 1"),
        (["--batch-size", "1"], "batch-size must be at least 2"),
        (["--noise", "999999999"], "GiB for its first and last layers"),
        (["--codes", "cat:2000000000"], "GiB for its first and last layers"),
        (["--noise", "abc"], "must be a dimension below 10**9"),
        (["--noise", "normal"], "must be a dimension below 10**9"),
        (["--noise", "-10"], "must be a dimension below 10**9"),
        (["--noise", "62.5"], "must be a dimension below 10**9"),
        (["--fast-start-lr-g", "2e-3"], "need --fast-start STEPS"),
        (["--epochs", "1e12"], "steps must be at most"),
        (["--lr-d", "-1"], "lr-d must be a positive number"),
    ],
)
def test_invalid_input_with_overwrite_leaves_the_old_run_untouched(run_copy, capsys, flags, expected):
    before = fingerprint(run_copy)
    length = [] if "--epochs" in flags else ["--steps", "2"]
    status, lines = run_cli(["train", "--out", run_copy, "--overwrite", *length, *TINY_FLAGS, *flags], capsys)
    one_error(status, lines, expected)
    assert fingerprint(run_copy) == before


def test_resume_without_step_checkpoints_is_refused_and_names_best(run_copy, capsys):
    (run_copy / CHECKPOINT_DIR / BEST_NAME).write_bytes((run_copy / CHECKPOINT_DIR / "step_00000004.pt").read_bytes())
    for path in (run_copy / CHECKPOINT_DIR).glob("step_*.pt"):
        path.unlink()
    before = fingerprint(run_copy)
    status, lines = run_cli(["train", "--resume", run_copy, "--steps", "6", "--no-progress"], capsys)
    one_error(status, lines, f"no step checkpoint is left; {run_copy / CHECKPOINT_DIR / BEST_NAME} is left")
    assert fingerprint(run_copy) == before and len(read_metrics(run_copy)) == 2


@pytest.mark.parametrize(
    "harm, expected",
    [
        ("corrupt checkpoints", "no step checkpoint can be loaded"),
        ("other codes", "latent spec"),
        ("empty config", "the config lacks architecture"),
        ("list config", "a config must be a JSON object, got list"),
        ("bad metrics line", "line 2 is not a metrics record"),
        ("steps below the current step", "is already at step 4"),
    ],
)
def test_a_failing_resume_rewrites_nothing(run_copy, capsys, harm, expected):
    flags = ["--steps", "6"]
    if harm == "corrupt checkpoints":
        for path in (run_copy / CHECKPOINT_DIR).glob("step_*.pt"):
            path.unlink()
            path.write_bytes(b"not a checkpoint")
    elif harm == "other codes":
        flags += ["--codes", "cat:5,unif:2"]
    elif harm == "empty config":
        (run_copy / CONFIG_FILE).write_text("{}")
    elif harm == "list config":
        (run_copy / CONFIG_FILE).write_text("[]")
    elif harm == "bad metrics line":
        lines = (run_copy / METRICS_FILE).read_text().splitlines()
        (run_copy / METRICS_FILE).write_text("\n".join([lines[0], "[1, 2]", *lines[1:]]) + "\n")
    else:
        flags = ["--steps", "2"]
    before = fingerprint(run_copy)
    status, lines = run_cli(["train", "--resume", run_copy, *flags, "--no-progress"], capsys)
    problems = [line for line in problem_lines(lines) if not line.startswith("infogan: warning: skipping")]
    assert status == 2 and len(problems) == 1 and expected in problems[0], lines
    assert fingerprint(run_copy) == before


@pytest.mark.slow
def test_overwrite_with_other_codes_leaves_no_old_traversals(run_copy, capsys):
    assert (run_copy / "traversal_c3.png").exists()
    status, _ = run_cli(
        ["train", "--out", run_copy, "--overwrite", "--codes", "cat:10,unif:1", "--steps", "2", *TINY_FLAGS], capsys
    )
    assert status == 0
    assert sorted(p.name for p in run_copy.glob("traversal*.png")) == ["traversal.png", "traversal_c2.png"]
    assert read_config(run_copy).latent.q_output_size == 11


def test_a_second_process_on_a_run_is_refused(run_copy, capsys):
    (run_copy / LOCK_FILE).write_text(f"{socket.gethostname()} {os.getpid()}\n")  # this process: alive
    before = fingerprint(run_copy)
    status, lines = run_cli(["train", "--resume", run_copy, "--steps", "6", "--no-progress"], capsys)
    one_error(status, lines, f"is being trained by process {os.getpid()}")
    assert fingerprint(run_copy) == before


@pytest.mark.slow
def test_a_stale_lock_is_taken_over_with_a_notice(run_copy, capsys):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(ended.stdout)
    (run_copy / LOCK_FILE).write_text(f"{socket.gethostname()} {dead_pid}\n")
    status, lines = run_cli(["train", "--resume", run_copy, "--steps", "6", "--no-progress"], capsys)
    assert status == 0
    assert f"infogan: warning: taking over the lock of {run_copy} from process {dead_pid}, which has ended" in lines
    assert not (run_copy / LOCK_FILE).exists() and read_metrics(run_copy)[-1]["step"] == 6


def test_the_lock_is_released_when_training_fails(run_copy):
    with pytest.raises(InfoganError):
        train(tiny_config(steps=2), run_copy, resume=True, progress=False)
    assert not (run_copy / LOCK_FILE).exists()
    with RunLock(run_copy) as lock:
        assert lock.held and (run_copy / LOCK_FILE).read_text().split() == [socket.gethostname(), str(os.getpid())]
    assert not (run_copy / LOCK_FILE).exists()


@pytest.mark.slow
def test_a_start_killed_before_its_config_does_not_block_a_rerun(tmp_path, capsys):
    stub = tmp_path / "stub"
    (stub / CHECKPOINT_DIR).mkdir(parents=True)
    (stub / ".config.json.x1.tmp").write_text("{")
    status, _ = run_cli(["train", "--out", stub, "--steps", "2", *TINY_FLAGS], capsys)
    assert status == 0 and read_metrics(stub)[-1]["step"] == 2 and not (stub / ".config.json.x1.tmp").exists()


# Tracebacks instead of one line -------------------------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"{}", "the config lacks architecture"),
        (b"[]", "a config must be a JSON object, got list"),
        (b"null", "a config must be a JSON object, got NoneType"),
        (b"\xff\xfe\x00binary", "is not text"),
        (
            b'{"architecture": "mnist", "dataset": "mnist", "latent": [], "seed": 0, "steps": 2, "batch_size": 16}',
            "latent spec is malformed",
        ),
        (
            b'{"architecture": "mnist", "dataset": "mnist", "latent": null, "seed": "0", "steps": 2, "batch_size": 16}',
            "latent spec is malformed",
        ),
    ],
)
@pytest.mark.parametrize("command", ["evaluate", "sample", "traverse"])
def test_a_malformed_config_is_one_line(run_copy, capsys, tmp_path, content, expected, command):
    (run_copy / CONFIG_FILE).write_bytes(content)
    extra = {
        "evaluate": ["--no-fid"],
        "sample": ["--out", tmp_path / "s.png"],
        "traverse": ["--out", tmp_path / "t.png"],
    }
    status, lines = run_cli([command, run_copy, *extra[command]], capsys)
    one_error(status, lines, expected)


def test_config_values_of_the_wrong_type_are_one_line(run_copy, capsys):
    config = json.loads((run_copy / CONFIG_FILE).read_text())
    for field, value, expected in (
        ("seed", "zero", "seed has the wrong type"),
        ("lr_d", None, "lr-d has the wrong type"),
        ("reuse_fakes", "yes", "reuse-fakes has the wrong type"),
        ("beta1", [0.5], "beta1 has the wrong type"),
    ):
        (run_copy / CONFIG_FILE).write_text(json.dumps({**config, field: value}))
        status, lines = run_cli(["train", "--resume", run_copy, "--no-progress"], capsys)
        one_error(status, lines, expected)


@pytest.mark.parametrize(
    "content",
    [
        b'{"kind": "train", "step": 2}\n\xff\xfe\n{"kind": "train", "step": 4}\n',
        b'{"kind": "train", "step": 2}\n"text"\n{"kind": "train", "step": 4}\n',
    ],
)
def test_a_malformed_metrics_file_is_one_line(run_copy, capsys, tmp_path, content):
    (run_copy / METRICS_FILE).write_bytes(content)
    status, lines = run_cli(["figure1", run_copy, run_copy, "--out", tmp_path / "f.png"], capsys)
    one_error(status, lines, "line 2 is not a metrics record")


def test_a_torn_last_metrics_line_is_ignored(run_copy):
    with open(run_copy / METRICS_FILE, "a") as stream:
        stream.write('{"kind": "train", "st')
    assert [record["step"] for record in read_metrics(run_copy)] == [2, 4]


@pytest.mark.parametrize(
    "command",
    [
        ["sample", "{run}", "--out", "{long}.png"],
        ["traverse", "{run}", "--out", "{long}.png"],
        ["export", "{run}", "--out", "{long}.safetensors"],
        ["evaluate", "{run}", "--no-fid", "--confusion-png", "{long}.png"],
        ["report", "{run}", "--no-fid", "--out", "{long}.html"],
        ["sample", "{run}", "--out", "{missing}/x.png"],
    ],
)
def test_an_unwritable_output_is_refused_before_the_work(finished_run, capsys, tmp_path, monkeypatch, command):
    from infogan.evaluate import run_metrics

    monkeypatch.setattr(run_metrics, "evaluate_run", lambda *a, **k: pytest.fail("evaluated before checking --out"))
    names = {"run": finished_run, "long": tmp_path / ("x" * 300), "missing": tmp_path / "missing"}
    status, lines = run_cli([part.format(**names) for part in command], capsys)
    assert status == 2 and len(lines) == 1 and ("too long" in lines[0] or "does not exist" in lines[0]), lines


@pytest.mark.parametrize(
    "command, expected",
    [
        (["sample", "{run}", "--out", "{tmp}/s.png", "--seed", str(2**63)], "seed must be an integer"),
        (["traverse", "{run}", "--out", "{tmp}/t.png", "--seed", "-3"], "seed must be an integer"),
        (
            ["traverse", "{run}", "--out", "{tmp}/t.png", "--columns", "1000000"],
            "columns must be an integer from 2 to 100",
        ),
        (["sample", "{run}", "--out", "{tmp}/s.png", "--n", "10001"], "--n must be between 1 and 10000"),
        (["evaluate", "{run}", "--no-fid", "--samples", "100000000"], "at most 100000"),
        (["select", "{run}", "--checkpoints", "1000"], "checkpoints must be an integer from 1 to 100"),
        (["bench", "--batch-size", "1"], "batch-size must be at least 2"),
        (["bench", "--steps", "1000000"], "steps must be an integer from 1 to 10000"),
        (
            ["report", "{run}", "--evaluation", "{tmp}/list.json", "--out", "{tmp}/r.html"],
            "is not `infogan evaluate --json`",
        ),
        (["report", "{run}", "--evaluation", "{tmp}/codes.json", "--out", "{tmp}/r.html"], "is not `infogan evaluate"),
        (["export", "{run}", "--out", "{tmp}/g.safetensors", "--checkpoint", "{run}/checkpoints"], "is a folder"),
        (["train", "--out", "{tmp}/new", "--data-dir", "{run}/config.json", *TINY_FLAGS], "is not a folder"),
        (["train", "--out", "{tmp}/" + "y" * 300, *TINY_FLAGS], "path is too long"),
    ],
)
def test_bounds_and_shapes_are_one_line(finished_run, capsys, tmp_path, command, expected):
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "codes.json").write_text('{"codes": 3}')
    status, lines = run_cli([part.format(run=finished_run, tmp=tmp_path) for part in command], capsys)
    one_error(status, lines, expected)


def _write_idx(path: Path, shape: tuple[int, ...]) -> None:
    """An uncompressed uint8 IDX file of zeros (uncompressed files carry no published checksum)."""
    header = bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    path.write_bytes(header + bytes(math.prod(shape)))


@pytest.mark.slow
def test_idx_data_of_another_image_size_is_resized_to_the_architecture(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for split, count in (("train", 40), ("t10k", 8)):
        _write_idx(data / f"{split}-images-idx3-ubyte", (count, 32, 32))
        _write_idx(data / f"{split}-labels-idx1-ubyte", (count,))
    status, _ = run_cli(["train", "--out", tmp_path / "run", "--data-dir", data, "--steps", "1", *TINY_FLAGS], capsys)
    assert status == 0 and read_config(tmp_path / "run").architecture == "mnist"
    assert read_metrics(tmp_path / "run")[-1]["step"] == 1


# Silently wrong ----------------------------------------------------------------------------


@pytest.mark.slow
def test_select_refuses_runs_whose_codes_differ(finished_run, tmp_path, capsys):
    other = tmp_path / "cat5"
    train(tiny_config(steps=2, latent=LatentSpec(Noise(62), parse_codes("cat:5,unif:2"))), other, progress=False)
    data_dir = small_test_data_dir(tmp_path, test_images=100)
    status, lines = run_cli(["select", finished_run, other, "--checkpoints", "1", "--data-dir", data_dir], capsys)
    one_error(status, lines, "different numbers of categories (10, 5)")


def test_sample_code_values_are_checked_in_the_library(finished_run):
    from infogan import load_run

    run = load_run(finished_run)
    for codes, expected in (
        ({"c1": 12}, "integer in 0..9"),
        ({"c1": 2.7}, "integer in 0..9"),
        ({"c1": True}, "integer in 0..9"),
        ({"c2": float("nan")}, "finite number"),
        ({"c9": 1}, "no code named 'c9'"),
    ):
        with pytest.raises(InfoganError, match=expected):
            run.sample(2, codes=codes)
    assert run.sample(2, codes={"c1": 3, "c2": 1}).shape == (2, 1, 28, 28)


# Fuzzing the files infogan reads -------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=20,
)
config_keys = st.sampled_from(
    [
        "architecture",
        "dataset",
        "latent",
        "seed",
        "steps",
        "batch_size",
        "lr_d",
        "mode",
        "beta1",
        "reuse_fakes",
        "preset",
        "eval_every",
        "noise",
        "codes",
    ]
)


@pytest.mark.slow
@FUZZ
@given(st.dictionaries(config_keys, json_values, max_size=8) | json_values | st.binary(max_size=40))
def test_read_config_raises_only_infogan_errors(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("fuzz-config")
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    (folder / CONFIG_FILE).write_bytes(data)
    with contextlib.suppress(InfoganError):
        read_config(folder)


@pytest.mark.slow
@FUZZ
@given(st.lists(json_values.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=30), max_size=6))
def test_read_metrics_raises_only_infogan_errors(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("fuzz-metrics")
    (folder / METRICS_FILE).write_bytes(b"\n".join(lines) + b"\n")
    try:
        records = read_metrics(folder)
    except InfoganError:
        return
    assert all(isinstance(record, dict) for record in records)
