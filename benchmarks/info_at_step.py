"""L_I(c1) early in training (the paper's Figure 1 target) for a preset with changes, per seed.

    python benchmarks/info_at_step.py --seeds 0 1 2 --lr-g 2e-3 --lr-q 3.2e-3

Trains the preset (default ``mnist``) for ``--steps`` updates per seed, in a temporary
folder, without evaluations or images, and prints one JSON line per seed and a median:
``info/c1`` as logged by ``infogan train`` at steps 20, 100 and ``--steps`` (each logged value is
the mean of the 10 updates ending at that step, measured on the D step's fakes). About
80 s per seed on the 2-core CPU. The same numbers come from ``infogan train --steps 200
--seed N ...`` and the run's metrics.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile

from infogan.latent import LatentSpec, parse_codes
from infogan.presets import get_preset
from infogan.run import read_metrics
from infogan.trainer import train


def info_by_step(config, code: str = "c1") -> dict[int, float]:
    """Train ``config`` in a temporary folder; ``{step: info/<code>}`` from its train log lines."""
    with tempfile.TemporaryDirectory() as folder:
        train(config, folder, progress=False)
        return {record["step"]: record[f"info/{code}"] for record in read_metrics(folder, "train")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="mnist")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lr-d", type=float)
    parser.add_argument("--lr-g", type=float)
    parser.add_argument("--lr-q", type=float)
    parser.add_argument("--beta2", type=float)
    parser.add_argument("--codes", help="a code spec, e.g. 'cat:10:lambda=2,unif:2'")
    args = parser.parse_args()
    changes = {name: getattr(args, name) for name in ("lr_d", "lr_g", "lr_q", "beta2") if getattr(args, name) is not None}
    base = get_preset(args.preset)
    if args.codes:
        changes["latent"] = LatentSpec(base.latent.noise, parse_codes(args.codes))
    config = base.with_changes(steps=args.steps, eval_every=0, image_every=10**9, checkpoint_every=10**9, **changes)
    finals = []
    for seed in args.seeds:
        info = info_by_step(config.with_changes(seed=seed))
        finals.append(info[args.steps])
        print(json.dumps({"seed": seed, **{f"info_c1_step{step}": info.get(step) for step in (20, 100, args.steps)}}))
    print(json.dumps({"median": statistics.median(finals), "seeds": args.seeds,
                      "changes": {k: v for k, v in changes.items() if k != "latent"} | ({"codes": args.codes} if args.codes else {})}))


if __name__ == "__main__":
    main()
