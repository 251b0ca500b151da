"""What keeping freed memory in the process gains: ``infogan bench`` with and without it.

    python benchmarks/allocator.py [--rounds 6] [--steps 20]

Alternates fresh ``infogan bench --json --repeats 1`` processes with glibc malloc's
thresholds raised (``infogan.allocator``, what ``infogan train`` does) and as they are
(``--default-malloc``). Prints one JSON object: median ms/step and minor page faults per
step of each arm, the median of the per-round time ratios (default over kept), and every
timing. Rounds pair up neighbouring runs, so a machine whose load drifts still compares
like with like.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys


def _bench(steps: int, default_malloc: bool) -> dict:
    command = [sys.executable, "-m", "infogan", "bench", "--json", "--repeats", "1", "--steps", str(steps)]
    command += ["--default-malloc"] if default_malloc else []
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"kept": [], "default": []}
    for _ in range(args.rounds):
        runs["kept"].append(_bench(args.steps, default_malloc=False))
        runs["default"].append(_bench(args.steps, default_malloc=True))
    result = {}
    for arm, results in runs.items():
        result[f"{arm}_ms_per_step"] = statistics.median(r["ms_per_step"] for r in results)
        result[f"{arm}_page_faults_per_step"] = statistics.median(r["minor_page_faults_per_step"] for r in results)
        result[f"{arm}_peak_memory_mb"] = max(r["peak_memory_mb"] for r in results)
        result[f"{arm}_ms_each"] = [round(r["ms_per_step"], 1) for r in results]
    ratios = [d["ms_per_step"] / k["ms_per_step"] for k, d in zip(runs["kept"], runs["default"])]
    result["median_time_ratio_default_over_kept"] = statistics.median(ratios)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
