"""Images/s of one run on 1 process (1 thread), 2 processes (torchrun, gloo, 1 thread each)
and 1 process with 2 threads: what data-parallel training buys on one CPU.

    python benchmarks/cpu_scaling.py [--steps 12] [--batch-size 128] [--rounds 2]

Each arm trains the mnist preset for ``--steps`` steps (global batch ``--batch-size``) in a
fresh run folder and is timed from its metrics.jsonl: the steps between the first and the
last log line over the time between them, so start-up (imports, data, process group) is
left out. The arms alternate for ``--rounds`` rounds; medians are reported with every
timing and the load average before and after (on a shared machine the scheduler gives each
process its share, which favours the 2-process arm). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ARMS = {
    "1 process, 1 thread": (1, 1),
    "2 processes (gloo), 1 thread each": (2, 1),
    "1 process, 2 threads": (1, 2),
}


def images_per_s(run_dir: Path, batch_size: int) -> float:
    """Steady-state images/s between the first and the last train line of a run."""
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train_lines = [line for line in lines if line["kind"] == "train"]
    first, last = train_lines[0], train_lines[-1]
    return (last["step"] - first["step"]) * batch_size / (last["time_s"] - first["time_s"])


def run_arm(processes: int, threads: int, steps: int, batch_size: int, folder: Path) -> float:
    run_dir = folder / f"p{processes}t{threads}"
    flags = ["train", "--out", str(run_dir), "--steps", str(steps), "--batch-size", str(batch_size)]
    flags += ["--log-every", "2", "--eval-every", "0", "--image-every", "100000", "--checkpoint-every", "100000"]
    flags += ["--device", "cpu", "--no-progress"]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    command = [*launcher, "-m", "infogan", *flags] if processes > 1 else [sys.executable, "-m", "infogan", *flags]
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    subprocess.run(command, env=environment, check=True, capture_output=True)
    return images_per_s(run_dir, batch_size)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {arm: [] for arm in ARMS}
    load_before = os.getloadavg()
    for _ in range(args.rounds):
        for arm, shape in ARMS.items():
            with tempfile.TemporaryDirectory() as folder:
                timings[arm].append(run_arm(*shape, args.steps, args.batch_size, Path(folder)))
    result: dict[str, object] = {arm: statistics.median(values) for arm, values in timings.items()}
    result["each"], result["load_average_before_after"] = timings, [load_before[0], os.getloadavg()[0]]
    result["2 processes / 1 process"] = result["2 processes (gloo), 1 thread each"] / result["1 process, 1 thread"]
    result["2 threads / 1 process"] = result["1 process, 2 threads"] / result["1 process, 1 thread"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
