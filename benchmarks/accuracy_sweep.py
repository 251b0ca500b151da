"""Train MNIST InfoGAN variants and score c1 on the test set at every checkpoint.

Each checkpoint is scored twice: Q with batch-norm running statistics (eval mode, what
``infogan evaluate`` uses) and Q with per-batch statistics over 500 real test images.

    python benchmarks/accuracy_sweep.py --name authors --steps 2000 --seed 0
    python benchmarks/accuracy_sweep.py --name lam2 --codes cat:10:lambda=2,unif:2
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import torch

from infogan.checkpoint import list_checkpoints, load_checkpoint
from infogan.config import TrainConfig
from infogan.data import load_dataset, to_float_images
from infogan.evaluate.clustering import clustering_scores
from infogan.latent import LatentSpec, parse_codes, parse_noise
from infogan.run import build_models
from infogan.trainer import train


def batch_stat_accuracy(discriminator, spec, images, labels) -> float:
    body = copy.deepcopy(discriminator).train()
    predictions = []
    with torch.no_grad():
        for part in images.split(500):
            _, q_output = body(part)
            predictions.append(spec.split_q_output(q_output)[spec.categorical[0].name].argmax(1))
    return clustering_scores(torch.cat(predictions).numpy(), labels)["accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--codes", default="cat:10,unif:2")
    parser.add_argument("--noise", default="noise:62")
    parser.add_argument("--lr-d", type=float, default=2e-4)
    parser.add_argument("--lr-g", type=float, default=1e-3)
    parser.add_argument("--mode", default="infogan")
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--root", default="runs/sweep")
    args = parser.parse_args()
    spec = LatentSpec(parse_noise(args.noise), parse_codes(args.codes))
    config = TrainConfig(latent=spec, steps=args.steps, seed=args.seed, lr_d=args.lr_d, lr_g=args.lr_g,
                         mode=args.mode, eval_every=args.every, checkpoint_every=args.every,
                         image_every=args.every, keep_checkpoints=1000, device="cpu")
    run_dir = Path(args.root) / args.name
    train(config, run_dir, overwrite=True, progress=False)
    test = load_dataset("mnist", "test")
    images, labels = to_float_images(test.images), test.labels.numpy()
    _, discriminator = build_models(config)
    rows = []
    for step, path in list_checkpoints(run_dir / "checkpoints"):
        discriminator.load_state_dict(load_checkpoint(path)["discriminator"])
        rows.append({"step": step, "acc_batch_stats": batch_stat_accuracy(discriminator, spec, images, labels)})
    evals = {r["step"]: r for r in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines())
             if r["kind"] == "eval"}
    for row in rows:
        row["acc_running_stats"] = evals.get(row["step"], {}).get("eval/c1/accuracy")
        print(json.dumps({"name": args.name, **row}), flush=True)


if __name__ == "__main__":
    main()
