"""Many seeds of full-length runs at once on one GPU: the seed tables of docs/results/.

    python benchmarks/gpu_seeds.py --out runs/gpu-seeds --json gpu_seeds.json
    python benchmarks/gpu_seeds.py --jobs mnist:100-109,mnist:100-109:shift2 --workers 10

Each job is PRESET:SEEDS[:shiftK] (``run_seeds.py``'s preset and seeds, ``--augment-shift K``).
Every (job, seed) trains in its own ``run_seeds.py`` process on ``cuda``, ``--workers`` at a
time: the MNIST-size networks are launch-bound on a GPU, so several processes share one
without slowing each other much. A run already in OUT is resumed, a finished one is left as
it is, so the command can be rerun until every run is done. No process starts after
``--budget-s``; one that passes ``--run-limit-s`` is stopped (resumable). When the runs end,
each MNIST-size run gets ``infogan evaluate --json`` (slant and width of its continuous
codes), and the script prints one table per job (``summarize_runs.py``'s, plus each
continuous code's slant and width rho) and writes everything to ``--json``.

The default jobs are the open measurements: the default preset on ten untuned seeds and the
same with ``--augment-shift 2``, and Fashion-MNIST's three seeds with and without it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from run_seeds import parse_seeds
from summarize_runs import print_table, summarize

DEFAULT_JOBS = "mnist:100-109,mnist:100-109:shift2,fashion-mnist:0-2,fashion-mnist:0-2:shift2"
HERE = Path(__file__).resolve().parent
SOURCE = os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")])
ENVIRONMENT = {**os.environ, "PYTHONPATH": SOURCE}  # the checkout's infogan, installed or not


def parse_jobs(text: str) -> list[tuple[str, list[int], int]]:
    """'mnist:100-109:shift2,fashion-mnist:0-2' -> [("mnist", [100..109], 2), ("fashion-mnist", [0, 1, 2], 0)]."""
    jobs = []
    for item in text.split(","):
        preset, seeds, *rest = item.split(":")
        shift = int(rest[0].removeprefix("shift")) if rest else 0
        jobs.append((preset, parse_seeds(seeds), shift))
    return jobs


def run_folder(out: Path, preset: str, seed: int, shift: int) -> Path:
    """Where ``run_seeds.py`` puts that run."""
    return out / f"{preset}{f'-shift{shift}' if shift else ''}-seed{seed}"


def train_all(runs: list[tuple[str, int, int]], args: argparse.Namespace) -> dict[str, int | None]:
    """Train every (preset, seed, shift), ``args.workers`` processes at once; exit status per run folder
    (``None``: never started, the budget was spent)."""
    pending, active, status, started = list(runs), {}, {}, time.monotonic()
    while pending or active:
        if pending and len(active) < args.workers and time.monotonic() - started < args.budget_s:
            key = pending.pop(0)
            active[key] = _start_run(*key, args)
            continue
        if pending and time.monotonic() - started >= args.budget_s:
            status.update({str(run_folder(args.out, *key)): None for key in pending})
            pending = []
        for key, (process, since, log) in list(active.items()):
            if process.poll() is None and time.monotonic() - since > args.run_limit_s:
                process.terminate()  # the run resumes on the next call
                process.wait()
            if process.poll() is not None:
                status[str(run_folder(args.out, *key))] = process.returncode
                log.close()
                del active[key]
        time.sleep(1)
    return status


def _start_run(preset: str, seed: int, shift: int, args: argparse.Namespace) -> tuple[subprocess.Popen, float, object]:
    """``run_seeds.py`` for one seed, its output appended to RUN_FOLDER.log."""
    out = args.out
    command = [sys.executable, str(HERE / "run_seeds.py"), "--preset", preset, "--seeds", str(seed)]
    command += ["--device", args.device, "--out", str(out), "--augment-shift", str(shift)]
    command += [] if args.steps is None else ["--steps", str(args.steps)]
    log = open(run_folder(out, preset, seed, shift).with_suffix(".log"), "a")  # noqa: SIM115 (closed by train_all)
    return subprocess.Popen(command, stdout=log, stderr=log, env=ENVIRONMENT), time.monotonic(), log


def codes_of(run_dir: Path, device: str) -> dict:
    """Slant and width rho per continuous code, from ``infogan evaluate --json``; {} if it fails."""
    command = [sys.executable, "-m", "infogan", "evaluate", str(run_dir), "--json", "--no-fid"]
    command += ["--disentanglement", "off", "--device", device]
    result = subprocess.run(command, capture_output=True, text=True, env=ENVIRONMENT)
    if result.returncode != 0:
        return {}
    codes = json.loads(result.stdout)["codes"]
    continuous = {name: code for name, code in codes.items() if "slant_rho" in code}
    return {name: {key: code[key] for key in ("slant_rho", "width_rho")} for name, code in continuous.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", default=DEFAULT_JOBS, help="PRESET:SEEDS[:shiftK], comma-separated")
    parser.add_argument("--out", type=Path, default=Path("runs/gpu-seeds"))
    parser.add_argument("--workers", type=int, default=13, help="training processes at once on the GPU")
    parser.add_argument("--budget-s", type=float, default=420.0, help="no run starts after this many seconds")
    parser.add_argument("--run-limit-s", type=float, default=480.0, help="a run is stopped after this long")
    parser.add_argument("--json", type=Path, default=Path("gpu_seeds.json"))
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"), help="cpu: a smoke test of the script")
    parser.add_argument("--steps", type=int, help="override every preset's number of updates (a smoke test)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = parse_jobs(args.jobs)
    status = train_all([(preset, seed, shift) for preset, seeds, shift in jobs for seed in seeds], args)
    digit_runs = [run_folder(args.out, p, seed, k) for p, seeds, k in jobs if p.startswith("mnist") for seed in seeds]
    with ThreadPoolExecutor(args.workers) as pool:  # each evaluation is its own process
        codes = dict(zip(digit_runs, pool.map(codes_of, digit_runs, [args.device] * len(digit_runs))))
    report = {"status": status, "jobs": {}}
    for preset, seeds, shift in jobs:
        rows = []
        for seed in seeds:
            run_dir = run_folder(args.out, preset, seed, shift)
            try:
                row = summarize(str(run_dir))
            except SystemExit:  # no evaluation yet
                continue
            rows.append({**row, "codes": codes.get(run_dir, {})})
        label = f"{preset}{f' --augment-shift {shift}' if shift else ''}"
        report["jobs"][label] = rows
        args.json.write_text(json.dumps(report, indent=2))
        print(f"\n## {label}\n")
        if rows:
            print_table(rows)
        for row in rows:
            print(row["run"], json.dumps(row["codes"]))


if __name__ == "__main__":
    main()
