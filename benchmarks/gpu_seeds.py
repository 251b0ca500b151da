"""Many seeds of full-length runs at once on one GPU: the seed tables of docs/results/.

    python benchmarks/gpu_seeds.py --out runs/gpu-seeds --json gpu_seeds.json
    python benchmarks/gpu_seeds.py --jobs mnist:100-109,mnist:100-109:shift2 --workers 10

Each job is PRESET:SEEDS[:shiftK] (``run_seeds.py``'s preset and seeds, ``--augment-shift K``).
Every (job, seed) trains in its own ``run_seeds.py`` process on ``cuda``, ``--workers`` at a
time: the MNIST-size networks are launch-bound on a GPU, so several processes share one
without slowing each other much. A run already in OUT is resumed, a finished one is left as
it is, so the command can be rerun until every run is done. No process starts after
``--budget-s``, and at ``--deadline-s`` every run still training is stopped (resumable), so
that training and the evaluations fit in a 10-minute command. When the runs end,
each MNIST run (presets ``mnist*``) gets ``infogan evaluate --json`` (slant and width of its continuous
codes), and the script prints one table per job (``summarize_runs.py``'s, plus each
continuous code's slant and width rho) and writes everything to ``--json``.

The default jobs are the open measurements: the default preset on ten untuned seeds and the
same with ``--augment-shift 2``, and Fashion-MNIST's three seeds with and without it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))  # the checkout's infogan

from run_seeds import parse_seeds  # noqa: E402
from summarize_runs import print_table, summarize  # noqa: E402

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
    """Train every (preset, seed, shift), ``args.workers`` processes at once; exit status per run
    folder (``None``: never started). No run starts after ``args.budget_s``; at
    ``args.deadline_s`` every run still training is stopped with Ctrl-C's signal (its lock is
    released and it resumes on the next call). The status goes to ``args.json`` as runs end."""
    pending, active, status, started = list(runs), {}, {}, time.monotonic()
    while pending or active:
        elapsed = time.monotonic() - started
        if pending and elapsed >= args.budget_s:
            status.update({str(run_folder(args.out, *key)): None for key in pending})
            pending = []
        if pending and len(active) < args.workers:
            key = pending.pop(0)
            active[key] = _start_run(*key, args)
            continue
        for key, (process, log) in list(active.items()):
            if process.poll() is None and elapsed > args.deadline_s:
                _stop(process)
            if process.poll() is not None:
                status[str(run_folder(args.out, *key))] = process.returncode
                log.close()
                del active[key]
                args.json.write_text(json.dumps({"status": status}, indent=2))
        time.sleep(1)
    return status


def _stop(process: subprocess.Popen) -> None:
    """SIGINT, as Ctrl-C: training stops between steps and releases the run's lock; killed after 30 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start_run(preset: str, seed: int, shift: int, args: argparse.Namespace) -> tuple[subprocess.Popen, object]:
    """``run_seeds.py`` for one seed, its output appended to RUN_FOLDER.log."""
    out = args.out
    command = [sys.executable, str(HERE / "run_seeds.py"), "--preset", preset, "--seeds", str(seed)]
    command += ["--device", args.device, "--out", str(out), "--augment-shift", str(shift)]
    command += [] if args.steps is None else ["--steps", str(args.steps)]
    log = open(run_folder(out, preset, seed, shift).with_suffix(".log"), "a")  # noqa: SIM115 (closed by train_all)
    return subprocess.Popen(command, stdout=log, stderr=log, env=ENVIRONMENT), log


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
    parser.add_argument("--budget-s", type=float, default=300.0, help="no run starts after this many seconds")
    parser.add_argument("--deadline-s", type=float, default=420.0, help="runs still training then are stopped")
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
            rows.append({**row, "codes": codes.get(run_dir, {}), "exit_status": status.get(str(run_dir))})
        label = f"{preset}{f' --augment-shift {shift}' if shift else ''}"
        report["jobs"][label] = rows
        args.json.write_text(json.dumps(report, indent=2))
        print(f"\n## {label}\n")
        if rows:
            print_table(rows)
        for row in rows:
            unfinished = "" if row["exit_status"] == 0 else f" (not finished: exit status {row['exit_status']})"
            print(row["run"], json.dumps(row["codes"]) + unfinished)


if __name__ == "__main__":
    main()
