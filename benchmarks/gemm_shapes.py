"""float32 GFLOP/s of the MNIST D's FC matrix products at batch 128 against a 2048^2 product.

    python benchmarks/gemm_shapes.py

Best of 20 per shape: the forward, weight-gradient and input-gradient products of the
6272 -> 1024 layer, and the same at batch 256.
"""

from __future__ import annotations

import time

import torch

SHAPES = {
    "square 2048": ((2048, 2048), (2048, 2048)),
    "forward 128x6272 @ 6272x1024": ((128, 6272), (6272, 1024)),
    "weight gradient 1024x128 @ 128x6272": ((1024, 128), (128, 6272)),
    "input gradient 128x1024 @ 1024x6272": ((128, 1024), (1024, 6272)),
    "forward at batch 256": ((256, 6272), (6272, 1024)),
}


def gflops(left: torch.Tensor, right: torch.Tensor, repeats: int = 20) -> float:
    for _ in range(3):
        left @ right
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        left @ right
        best = min(best, time.perf_counter() - started)
    return 2 * left.shape[0] * left.shape[1] * right.shape[1] / best / 1e9


if __name__ == "__main__":
    for name, (a, b) in SHAPES.items():
        print(f"{name}: {gflops(torch.randn(*a), torch.randn(*b)):.1f} GFLOP/s")
