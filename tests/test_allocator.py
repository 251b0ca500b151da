"""Keeping freed memory: glibc reuses freed large blocks instead of faulting fresh pages in."""

import json
import os
import platform
import subprocess
import sys

import pytest

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt thresholds are glibc's")

# Allocates and frees a 32 MB tensor 8 times, touching every page; prints the minor faults.
# (A same-size loop is not a reuse test: glibc's aligned allocations need a little more than
# the block just freed, so it extends the heap instead; training steps reach a steady state.)
LOOP = """
import json, sys, torch
from infogan.allocator import freed_memory_kept, keep_freed_memory, minor_page_faults
applied = keep_freed_memory() if sys.argv[1] == "keep" else False
torch.ones(8 * 2**20)
before = minor_page_faults()
for _ in range(8):
    torch.ones(8 * 2**20)  # 32 MB
print(json.dumps({"applied": applied, "kept": freed_memory_kept(), "faults": minor_page_faults() - before}))
"""


def _run_loop(mode: str, **env: str) -> dict:
    result = subprocess.run([sys.executable, "-c", LOOP, mode], capture_output=True, text=True,
                            env={**os.environ, **env}, check=True)
    return json.loads(result.stdout)


def _bench_faults(*flags: str) -> dict:
    command = [sys.executable, "-m", "infogan", "bench", "--batch-size", "16", "--steps", "4", "--repeats", "1",
               "--warmup", "8", "--device", "cpu", "--json", *flags]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


@glibc_only
@pytest.mark.slow
def test_training_steps_stop_faulting_pages_in():
    kept, default = _bench_faults(), _bench_faults("--default-malloc")
    assert kept["keeps_freed_memory"] and not default["keeps_freed_memory"]
    # Each step frees and reallocates gradients of the 6272x1024 layers (25.7 MB each):
    # thousands of fresh pages per step with malloc's defaults, none once they are kept.
    # (The heap takes a few steps to settle, hence the warm-up; the bound leaves room for it.)
    assert default["minor_page_faults_per_step"] > 5000
    assert kept["minor_page_faults_per_step"] < default["minor_page_faults_per_step"] / 5


@glibc_only
def test_environment_variable_leaves_malloc_alone():
    result = _run_loop("keep", INFOGAN_KEEP_FREED_MEMORY="0")
    assert not result["applied"] and not result["kept"]
    assert result["faults"] > 8 * 8192 * 0.9


def test_keep_freed_memory_is_idempotent():
    from infogan.allocator import keep_freed_memory

    assert keep_freed_memory() == keep_freed_memory()


@glibc_only
@pytest.mark.slow
def test_kept_memory_changes_nothing_a_run_computes(tmp_path):
    from run_folders import TINY_FLAGS, assert_same_run, metrics_without_time

    runs = {}
    for setting in ("1", "0"):
        runs[setting] = tmp_path / f"keep{setting}"
        subprocess.run([sys.executable, "-m", "infogan", "train", "--out", str(runs[setting]), "--steps", "6", *TINY_FLAGS],
                       env={**os.environ, "INFOGAN_KEEP_FREED_MEMORY": setting}, check=True, capture_output=True)
    assert_same_run(runs["1"], runs["0"], step=6)
    assert metrics_without_time(runs["1"]) == metrics_without_time(runs["0"])
