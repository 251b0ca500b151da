"""Every GPU figure of docs/performance.md in one short run (< 8 minutes on one H200).

    python benchmarks/gpu_check.py --out gpu_check.json

Each arm is its own process (a failed compile or an out-of-memory ends that arm only) and
times ``infogan bench`` steps on ``cuda`` at batch 128: the MNIST networks and the 64x64
chairs3d networks (on 4096 random 64x64 images: speed does not depend on the pixels), in
fp32 and bf16, with ``torch.compile`` off and on. The MNIST arms also time
``benchmarks/reference_loop.py`` on the same GPU in the same process, before and after,
so the speed-up over it is measured in one run. Results go to ``--out`` as JSON after
every arm; an arm that fails or passes its time limit is recorded with its error. Two
arms are smoke runs of ``infogan train --device cuda`` in bf16 and fp16 (30 steps,
checkpoints, a resume for 10 more), which record whether every metrics line is finite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ARMS = [  # the most wanted first: arms stop starting once the budget is spent
    "mnist:bf16:compile",
    "mnist:fp32:eager",
    "mnist:bf16:eager",
    "mnist:fp32:compile",
    "train:bf16",
    "chairs3d:fp32:eager",
    "chairs3d:bf16:eager",
    "chairs3d:bf16:compile",
    "chairs3d:fp32:compile",
    "train:fp16",
    "chairs3d:bf16:compile:channels_last",
]
ARM_TIMEOUT_S, TOTAL_BUDGET_S = 150, 420
CHAIRS_DATA = Path("/tmp/infogan_gpu_check_chairs64.npz")


def _config(network: str, precision: str, compiled: bool, channels_last: bool, device: str):
    from infogan.presets import get_preset

    config = get_preset(network).with_changes(
        device=device, batch_size=128, precision=precision, compile=compiled, channels_last=channels_last
    )
    if network == "chairs3d":
        if not CHAIRS_DATA.exists():
            images = np.random.default_rng(0).integers(0, 256, (4096, 1, 64, 64), dtype=np.uint8)
            np.savez(CHAIRS_DATA, x=images)
        config = config.with_changes(dataset=str(CHAIRS_DATA))
    return config


def run_train_smoke(precision: str, device: str) -> dict:
    """``infogan train`` on cuda for 30 steps, then ``--resume`` to 40: the lines it wrote."""
    import math
    import tempfile

    from infogan.cli import main as infogan

    with tempfile.TemporaryDirectory() as folder:
        flags = ["--device", device, "--precision", precision, "--log-every", "10", "--checkpoint-every", "10"]
        flags += ["--eval-every", "20", "--image-every", "20", "--no-progress", "--out", f"{folder}/run"]
        statuses = [infogan(["train", "--steps", "30", *flags])]
        statuses.append(infogan(["train", "--resume", "--steps", "40", *flags]))
        lines = [json.loads(line) for line in Path(f"{folder}/run/metrics.jsonl").read_text().splitlines()]
    numbers = [value for line in lines for value in line.values() if isinstance(value, float)]
    return {
        "arm": f"train:{precision}",
        "exit_statuses": statuses,
        "steps_logged": [line["step"] for line in lines if line["kind"] == "train"],
        "all_finite": all(math.isfinite(value) for value in numbers),
        "last_train_line": [line for line in lines if line["kind"] == "train"][-1],
    }


def run_arm(arm: str, device: str = "cuda", steps: int = 50) -> dict:
    """One arm in this process: infogan bench figures, and for MNIST the reference loop around them."""
    if arm.startswith("train:"):
        return run_train_smoke(arm.split(":")[1], device)
    sys.path.insert(0, str(Path(__file__).parent))
    from infogan.bench import run_benchmark
    from infogan.data import load_dataset
    from reference_loop import run_reference

    network, precision, mode, *extra = arm.split(":")
    config = _config(network, precision, mode == "compile", "channels_last" in extra, device)
    result = {"arm": arm}
    if network == "mnist":
        mnist = load_dataset("mnist", "train").images
        references = [run_reference(mnist, 128, steps=steps, warmup=5, device=device)]
    result["bench"] = run_benchmark(config, steps=steps, repeats=3, warmup=5)
    if network == "mnist":
        references.append(run_reference(mnist, 128, steps=steps, warmup=5, device=device))
        result["reference_images_per_s_each"] = references
        result["reference_images_per_s"] = statistics.median(references)
        result["speedup_over_reference"] = result["bench"]["images_per_s"] / result["reference_images_per_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("gpu_check.json"))
    parser.add_argument("--arm", help="run one arm in this process and print its JSON (used by the loop)")
    parser.add_argument("--arms", help="comma-separated arms to run (default: all)")
    parser.add_argument("--device", default="cuda", help="cpu: a dry run of the script's own code")
    parser.add_argument("--steps", type=int, default=50, help="timed steps per repeat")
    args = parser.parse_args()
    if args.arm:
        print(json.dumps(run_arm(args.arm, args.device, args.steps)))
        return
    import torch

    name = torch.cuda.get_device_name(0) if args.device == "cuda" else args.device
    started, results = time.monotonic(), {"device": name, "arms": []}
    for arm in args.arms.split(",") if args.arms else ARMS:
        if time.monotonic() - started > TOTAL_BUDGET_S:
            results["arms"].append({"arm": arm, "error": "skipped: the time budget was spent"})
            continue
        try:
            finished = subprocess.run(
                [sys.executable, __file__, "--arm", arm, "--device", args.device, "--steps", str(args.steps)],
                capture_output=True,
                text=True,
                timeout=ARM_TIMEOUT_S,
            )
            lines = finished.stdout.strip().splitlines()
            entry = json.loads(lines[-1]) if finished.returncode == 0 and lines else None
            entry = entry or {"arm": arm, "error": (finished.stderr.strip().splitlines() or ["failed"])[-1][:300]}
        except subprocess.TimeoutExpired:
            entry = {"arm": arm, "error": f"timed out after {ARM_TIMEOUT_S} s"}
        entry["wall_s"] = round(time.monotonic() - started, 1)
        results["arms"].append(entry)
        args.out.write_text(json.dumps(results, indent=2))
        print(json.dumps({key: entry.get(key) for key in ("arm", "speedup_over_reference", "error")}), flush=True)


if __name__ == "__main__":
    main()
