"""The levers measured and not kept because they change float rounding, all together.

    python benchmarks/rounding_levers.py [--rounds 20] [--steps 4]

Two levers keep the mathematics but sum in another order, so every seed's trajectory would
change: D over real and fake in one pass with batch norm per half (``d_pass.py``), and the
two single-channel convolutions as unfold + batched matmul (``thin_convs.py``). Each was
timed alone; this times them together, so the fraction of the matmul rate they could reach
is a measurement, not a product of two ratios.

Prints one JSON object: whole training steps with both levers against the trainer's step,
rounds alternating (median ms each way, median of the per-round ratios, rounds faster), the
matmul rate measured in the same process before and after, the FLOPs of one step, and the
fraction of the matmul rate each way (FLOPs / median step time / the better matmul rate).
"""

from __future__ import annotations

import argparse
import json

import torch

from alternating import mnist_state, whole_steps
from d_pass import train_step_one_pass
from infogan.bench import flops_per_step, matmul_flops_per_s
from thin_convs import _switch as switch_thin_convs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    cpu = torch.device("cpu")
    matmul_before = matmul_flops_per_s(cpu)
    state, config, images, activation = mnist_state()
    flops = flops_per_step(state, config, images, activation)
    timings = whole_steps(switch_thin_convs, args.rounds, args.steps, ours_step=train_step_one_pass)
    matmul_after = matmul_flops_per_s(cpu)
    matmul = max(matmul_before, matmul_after)
    report = {
        **timings,
        "flops_per_step": flops,
        "matmul_flops_per_s_before_after": [matmul_before, matmul_after],
        "fraction_of_matmul_plain": flops / (timings["plain_ms_per_step"] / 1e3) / matmul,
        "fraction_of_matmul_both_levers": flops / (timings["ours_ms_per_step"] / 1e3) / matmul,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
