"""A lever measured and kept: G's transposed convolutions run forward as a convolution's input gradient.

    python benchmarks/deconv_forward.py [--rounds 20] [--steps 4]

``infogan.conv.ConvTranspose2d`` computes a transposed convolution's forward with oneDNN's
kernel for the input gradient of the matching ordinary convolution (which is what a
transposed convolution is) instead of its transposed-convolution kernel; the sums are the
same and in the same order, so the result is bit-identical.

Prints one JSON object: for G's two MNIST layers at batch 128, median wall ms of the forward
both ways (rounds alternating) and whether the outputs are bit-identical; then whole
training steps with the layer as it is against nn.ConvTranspose2d's forward, rounds
alternating, with the median of the per-round time ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

from alternating import whole_steps
from infogan.conv import ConvTranspose2d

OUR_FORWARD = ConvTranspose2d.forward
# G's two MNIST layers: (in channels, out channels, input side).
G_LAYERS = {"G 128 -> 64, 7x7 -> 14x14": (128, 64, 7), "G 64 -> 1, 14x14 -> 28x28": (64, 1, 14)}


def _median_ms(function, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


@torch.no_grad()
def layers(rounds: int) -> dict:
    """Each G layer's forward on a batch of 128, both ways, alternating."""
    torch.manual_seed(0)
    report = {}
    for name, (in_channels, out_channels, side) in G_LAYERS.items():
        layer = ConvTranspose2d(in_channels, out_channels, 4, 2, 1)
        inputs = torch.randn(128, in_channels, side, side)
        plain, ours = (lambda: nn.ConvTranspose2d.forward(layer, inputs)), (lambda: layer(inputs))
        for _ in range(3):
            plain(), ours()
        plain_ms, ours_ms = [], []
        for _ in range(rounds):
            plain_ms.append(_median_ms(plain, 3))
            ours_ms.append(_median_ms(ours, 3))
        report[name] = {
            "transposed_kernel_ms": statistics.median(plain_ms),
            "input_gradient_kernel_ms": statistics.median(ours_ms),
            "bit_identical": bool(torch.equal(plain(), ours())),
        }
    return report


def _switch(_state, way: str) -> None:
    ConvTranspose2d.forward = nn.ConvTranspose2d.forward if way == "plain" else OUR_FORWARD


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps({"layers": layers(args.rounds), "whole_steps": whole_steps(_switch, args.rounds, args.steps)}, indent=2))


if __name__ == "__main__":
    main()
