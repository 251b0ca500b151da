import json
import platform
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_bench_prints_sane_json():
    result = subprocess.run(
        [sys.executable, "-m", "infogan", "bench", "--batch-size", "16", "--steps", "2", "--repeats", "1", "--warmup", "1",
         "--device", "cpu", "--json"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["images_per_s"] > 0 and report["ms_per_step"] > 0
    assert report["batch_size"] == 16
    # One step of the paper MNIST model at batch 16 is ~5 GFLOP (40.2 GFLOP at batch 128).
    assert 4.5e9 < report["flops_per_step"] < 5.6e9
    assert 0 < report["fraction_of_matmul_peak"] < 2
    assert report["peak_memory_mb"] > 50
    assert report["keeps_freed_memory"] is (platform.libc_ver()[0] == "glibc")
    assert report["minor_page_faults_per_step"] >= 0
