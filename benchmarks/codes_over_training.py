"""What each continuous code controls at every kept checkpoint of MNIST runs.

    python benchmarks/codes_over_training.py RUN_DIR [RUN_DIR ...] [--draws 200]

For each checkpoint in RUN_DIR/checkpoints (train with ``--keep-checkpoints K`` to keep
more than the newest three), the slant and stroke-width Spearman rho of every continuous
code, as ``infogan evaluate`` measures them (``measure_continuous_codes``), and whether
that checkpoint meets the paper's pair: one code with |slant rho| >= 0.9 and another with
|width rho| >= 0.8. Prints a Markdown table, one row per checkpoint.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from infogan.checkpoint import list_checkpoints
from infogan.evaluate.attributes import measure_continuous_codes
from infogan.run import load_run, read_config

SLANT_TARGET, WIDTH_TARGET = 0.9, 0.8


def meets_pair(codes: dict[str, dict]) -> bool:
    """One code with |slant rho| >= 0.9 and a different one with |width rho| >= 0.8."""
    slant = {name for name, row in codes.items() if abs(row["slant_rho"] or 0) >= SLANT_TARGET}
    width = {name for name, row in codes.items() if abs(row["width_rho"] or 0) >= WIDTH_TARGET}
    return any(a != b for a in slant for b in width)


def rows_for(run_dir: Path, draws: int) -> list[str]:
    rows = []
    for _, checkpoint in list_checkpoints(run_dir / "checkpoints"):  # step_*.pt only, oldest first
        run = load_run(run_dir, checkpoint=checkpoint)
        codes = measure_continuous_codes(run, draws=draws)
        cells = [f"{row['slant_rho']:+.2f} / {row['width_rho']:+.2f} ({row['controls']})" for row in codes.values()]
        met = "yes" if meets_pair(codes) else "no"
        rows.append(f"| {run_dir.name} | {run.step} | " + " | ".join(cells) + f" | {met} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path)
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    names = [code.name for code in read_config(args.run_dirs[0]).latent.continuous]
    print("| run | step | " + " | ".join(f"{name}: slant / width rho" for name in names) + " | pair met |")
    print("|---" * (len(names) + 3) + "|")
    for run_dir in args.run_dirs:
        for row in rows_for(run_dir, args.draws):
            print(row)


if __name__ == "__main__":
    main()
