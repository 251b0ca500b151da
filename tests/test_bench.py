import json
import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("flags, gflop_range", [([], (4.5, 5.6)), (["--reuse-fakes"], (4.1, 4.7))])
def test_bench_prints_sane_json(flags, gflop_range):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "infogan",
            "bench",
            "--batch-size",
            "16",
            "--steps",
            "2",
            "--repeats",
            "1",
            "--warmup",
            "1",
            "--device",
            "cpu",
            "--json",
            *flags,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["batch_size"] == 16 and report["ms_per_step"] > 0
    # The rates are the median step time's: one repeat, so its own.
    assert report["images_per_s"] == pytest.approx(16 * 1000 / report["ms_per_step"])
    assert report["images_per_s_each_repeat"] == [pytest.approx(report["images_per_s"])]
    assert report["achieved_flops_per_s"] == pytest.approx(report["flops_per_step"] * 1000 / report["ms_per_step"])
    assert report["fraction_of_matmul_peak"] == pytest.approx(
        report["achieved_flops_per_s"] / report["matmul_flops_per_s"]
    )
    # One step of the paper MNIST model at batch 16 is ~5 GFLOP (40.2 GFLOP at batch 128);
    # with --reuse-fakes one of the two G forwards (0.43 GFLOP at batch 16) is not computed.
    assert gflop_range[0] * 1e9 < report["flops_per_step"] < gflop_range[1] * 1e9
    assert report["peak_memory_mb"] > 50
    assert report["preset"] == "mnist" and report["steps_timed"] == 2


def test_bench_refuses_bad_sizes():
    from infogan.bench import run_benchmark
    from infogan.errors import InfoganError
    from infogan.presets import get_preset

    for sizes in ({"steps": 0}, {"repeats": 10**6}, {"warmup": -1}):
        with pytest.raises(InfoganError, match="must be an integer"):
            run_benchmark(get_preset("mnist").with_changes(device="cpu"), **sizes)
    with pytest.raises(InfoganError, match="batch-size must be at least 2"):
        get_preset("mnist").with_changes(batch_size=1)
