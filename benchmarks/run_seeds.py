"""Train one preset on several seeds, resuming any that stopped, then print the summary table.

    python benchmarks/run_seeds.py --preset fashion-mnist --seeds 0-2
    python benchmarks/run_seeds.py --preset mnist --seeds 100-109 --device cuda --out runs/ten-seeds
    python benchmarks/run_seeds.py --preset mnist --seeds 100-109 --augment-shift 2   # runs/mnist-shift2-seedN
    python benchmarks/run_seeds.py --preset fashion-mnist --codes "cat:10:scale=10,unif:2:scale=10" --name s10

Each seed trains into OUT/<preset>-seed<N> (OUT/<preset>-shift<K>-seed<N> with
``--augment-shift K``, OUT/<preset>-<NAME>-seed<N> with ``--name NAME``) with the preset's own
settings, ``--codes`` (the spec string of ``infogan train --codes``) replacing its codes (the default
command's run, seed by seed). A folder that already holds a run is resumed (bit-exactly) up
to the preset's steps, so the command can be stopped and started again at will; a finished
run is left as it is. The table is ``summarize_runs.py``'s: final and best c1 accuracy, NMI,
ARI, L_I(c1) at step 200 and the run's own time to 0.95, one row per seed, then the median.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infogan.latent import LatentSpec
from infogan.latent_parsing import parse_codes
from infogan.presets import get_preset
from infogan.run_folder import CONFIG_FILE
from infogan.trainer import train
from summarize_runs import print_table, summarize


def parse_seeds(text: str) -> list[int]:
    """'0-2' -> [0, 1, 2]; '3,5,8' -> [3, 5, 8]."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += list(range(int(first), int(last or first) + 1))
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="mnist")
    parser.add_argument("--seeds", default="0-2", help="e.g. 0-2 or 100-109 or 1,4,7")
    parser.add_argument("--out", type=Path, default=Path("runs"))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--target", type=float, default=0.95, help="accuracy whose first time is reported")
    parser.add_argument("--steps", type=int, help="override the preset's number of updates (e.g. a smoke test)")
    parser.add_argument("--augment-shift", type=int, default=0, help="train --augment-shift PIXELS (default 0)")
    parser.add_argument("--codes", help="replace the preset's codes, e.g. cat:10:scale=10,unif:2:scale=10")
    parser.add_argument("--name", help="run folders OUT/<preset>-<NAME>-seed<N>")
    args = parser.parse_args()
    run_dirs = []
    for seed in parse_seeds(args.seeds):
        config = get_preset(args.preset).with_changes(seed=seed, device=args.device)
        config = config if args.steps is None else config.with_changes(steps=args.steps)
        config = config.with_changes(augment_shift=args.augment_shift or config.augment_shift)
        if args.codes:
            config = config.with_changes(latent=LatentSpec(config.latent.noise, parse_codes(args.codes)))
        name = args.preset + (f"-shift{args.augment_shift}" if args.augment_shift else "")
        name += f"-{args.name}" if args.name else ""
        run_dir = args.out / f"{name}-seed{seed}"
        resume = (run_dir / CONFIG_FILE).is_file()
        print(f"{'resuming' if resume else 'training'} {run_dir}", file=sys.stderr)
        train(config, run_dir, resume=resume)
        run_dirs.append(str(run_dir))
    print_table([summarize(run_dir, args.target) for run_dir in run_dirs])


if __name__ == "__main__":
    main()
