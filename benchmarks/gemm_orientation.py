"""A lever measured and kept: the wide-output FC products computed transposed (``infogan.linear``).

    python benchmarks/gemm_orientation.py [--rounds 20] [--steps 4]

Two of the MNIST networks' FC products have a short, wide output: G's 1024 -> 6272 layer
forward, x (128, 1024) @ W^T, and the input gradient of D's 6272 -> 1024 layer,
g (128, 1024) @ W (1024, 6272). On this CPU they run slower per FLOP than the products with
a long reduction (128 x 6272 @ 6272 x 1024). The same product can be computed as
(W @ x^T)^T, the BLAS then seeing a tall output, and copied back to row-major; MKL's
reduction order does not change, so the result is bit-identical.

Prints one JSON object: for each product, median wall and process-CPU ms both ways
(rounds alternating) and whether the results are bit-identical; whether a whole layer's
output and gradients are; then whole training steps with ``infogan.linear.Linear`` as it
is against the same layers computing every product as nn.Linear does, rounds alternating,
with the median of the per-round time ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from alternating import whole_steps
from infogan.linear import Linear, oriented_product


def _timed(function: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return (time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3


def products(rounds: int) -> dict:
    """The two wide products, row-major and transposed, rounds alternating."""
    torch.manual_seed(0)
    cases = {
        "G forward 128x1024 @ 1024x6272": (torch.randn(128, 1024), torch.randn(6272, 1024).t()),
        "D input gradient 128x1024 @ 1024x6272": (torch.randn(128, 1024), torch.randn(1024, 6272)),
    }
    report = {}
    for name, (left, right) in cases.items():
        plain, oriented = (lambda: left @ right), (lambda: oriented_product(left, right))
        times: dict[str, list[tuple[float, float]]] = {"row_major": [], "transposed": []}
        for _ in range(3):
            plain(), oriented()
        for _ in range(rounds):
            times["row_major"].append(_timed(plain))
            times["transposed"].append(_timed(oriented))
        report[name] = {
            **{f"{way}_wall_ms": statistics.median(t[0] for t in ts) for way, ts in times.items()},
            **{f"{way}_cpu_ms": statistics.median(t[1] for t in ts) for way, ts in times.items()},
            "bit_identical": bool(torch.equal(plain(), oriented())),
        }
    return report


ORIENTED_FORWARD = Linear.forward


def _switch(_state, way: str) -> None:
    Linear.forward = nn.Linear.forward if way == "plain" else ORIENTED_FORWARD


def same_step_results() -> bool:
    """Whether one Linear's output and gradients are bit-identical both ways (G's wide layer)."""
    torch.manual_seed(0)
    layer = Linear(1024, 6272)
    inputs = torch.randn(128, 1024, requires_grad=True)
    grad = torch.randn(128, 6272)
    results = []
    for forward in (lambda x: nn.Linear.forward(layer, x), layer):
        inputs.grad, layer.weight.grad, layer.bias.grad = None, None, None
        output = forward(inputs)
        output.backward(grad)
        results.append((output.detach(), inputs.grad.clone(), layer.weight.grad.clone(), layer.bias.grad.clone()))
    return all(torch.equal(a, b) for a, b in zip(*results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    report = {
        "products": products(args.rounds),
        "linear_bit_identical": same_step_results(),
        "whole_steps": whole_steps(_switch, args.rounds, args.steps),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
