"""Shared by the lever benchmarks: whole MNIST training steps two ways, rounds alternating.

Not run on its own. ``whole_steps(switch, rounds, steps)`` builds the preset's training
state, and in each round calls ``switch(state, "plain")`` or ``switch(state, "ours")`` (order alternating
from round to round), takes one untimed step, then times ``steps`` full steps.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

from infogan.allocator import keep_freed_memory
from infogan.bench import _one_step
from infogan.data import load_dataset, to_float_images
from infogan.networks import get_architecture
from infogan.presets import get_preset
from infogan.trainer import TrainingState, build_training_state


def mnist_state() -> tuple[TrainingState, object, torch.Tensor, str]:
    """(training state, config, uint8 MNIST train images, G's output activation) on the CPU."""
    config = get_preset("mnist").with_changes(device="cpu")
    images = load_dataset("mnist", "train").images
    state = build_training_state(config, torch.device("cpu"), len(images))
    return state, config, images, get_architecture(config.architecture).output_activation


StepFunction = Callable[[TrainingState, object, torch.Tensor, float], dict]


def whole_steps(
    switch: Callable[[TrainingState, str], None], rounds: int, steps: int, ours_step: StepFunction | None = None
) -> dict:
    """Median ms per step each way, the median of the per-round ratios plain / ours, and how
    many rounds were faster our way. Freed memory is kept, as ``infogan train`` keeps it.
    ``ours_step``, if given, replaces the trainer's ``train_step(state, spec, images,
    info_weight)`` in the "ours" rounds; the "plain" rounds always take the trainer's step."""
    keep_freed_memory()
    state, config, images, activation = mnist_state()
    times: dict[str, list[float]] = {"plain": [], "ours": []}

    def one_step(way: str) -> None:
        if way == "plain" or ours_step is None:
            _one_step(state, config, images, activation)
        else:
            batch = to_float_images(images[state.sampler.next_indices()], activation)
            ours_step(state, config.latent, batch, 1.0)

    try:
        for index in range(rounds):
            for way in ("plain", "ours") if index % 2 else ("ours", "plain"):
                switch(state, way)
                one_step(way)  # warm-up after switching
                started = time.perf_counter()
                for _ in range(steps):
                    one_step(way)
                times[way].append((time.perf_counter() - started) / steps * 1e3)
    finally:
        switch(state, "ours")
    ratios = [plain / ours for plain, ours in zip(times["plain"], times["ours"])]
    return {
        "plain_ms_per_step": statistics.median(times["plain"]),
        "ours_ms_per_step": statistics.median(times["ours"]),
        "median_ratio": statistics.median(ratios),
        "rounds_faster": sum(ratio > 1 for ratio in ratios),
        "ratios": sorted(round(ratio, 3) for ratio in ratios),
    }
