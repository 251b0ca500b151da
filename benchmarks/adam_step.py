"""Time one Adam step over the MNIST preset's G and D parameters: foreach vs fused.

    python benchmarks/adam_step.py

The trainer takes one G and one D optimiser step per training step; this times both
together (13.3M parameters), median and best of 20 after 3 warm-up steps, each
implementation twice in alternation.
"""

from __future__ import annotations

import statistics
import time

import torch

from infogan.presets import get_preset
from infogan.trainer import build_training_state


def time_steps(optimizer: torch.optim.Optimizer, repeats: int = 20) -> list[float]:
    """Seconds per ``optimizer.step()``, ``repeats`` timings after 3 warm-up steps."""
    for _ in range(3):
        optimizer.step()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        optimizer.step()
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    config = get_preset("mnist").with_changes(device="cpu")
    state = build_training_state(config, torch.device("cpu"), 60000)
    params = list(state.generator.parameters()) + list(state.discriminator.parameters())
    for parameter in params:
        parameter.grad = torch.randn_like(parameter)
    print(f"{sum(p.numel() for p in params) / 1e6:.1f}M parameters, {torch.get_num_threads()} threads")
    for name in ["foreach", "fused", "foreach", "fused"]:
        optimizer = torch.optim.Adam(params, lr=1e-4, betas=(0.5, 0.999), **{name: True})
        timings = time_steps(optimizer)
        print(f"{name:8s} median {1000 * statistics.median(timings):6.1f} ms  best {1000 * min(timings):6.1f} ms")


if __name__ == "__main__":
    main()
