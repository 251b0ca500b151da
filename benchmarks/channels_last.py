"""Channels-last memory for the convolutions: whole training steps, alternating A/B in one process.

    python benchmarks/channels_last.py [--repeats 6] [--steps 10]

Variants: ``nchw`` (what the trainer does), ``all`` (G's up-convolutions and D's
convolutions channels-last), ``g`` (G's only), ``d`` (D's only). Inputs are converted by
forward pre-hooks on G's ``upsample`` and D's ``body.convs``; the weights of those layers
are made channels-last too. Prints each variant's median ms/step and checks that one step
from identical states gives identical losses (the layout changes no arithmetic that
matters: the losses agree to float32 rounding).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from infogan.data import load_dataset, to_float_images
from infogan.presets import get_preset
from infogan.trainer import TrainingState, build_training_state, train_step

CHANNELS_LAST = torch.channels_last


def _to_channels_last(module: torch.nn.Module) -> None:
    module.to(memory_format=CHANNELS_LAST)
    module.register_forward_pre_hook(lambda _, args: (args[0].contiguous(memory_format=CHANNELS_LAST),))


def make_state(config, pool_size: int, variant: str) -> TrainingState:
    state = build_training_state(config, torch.device("cpu"), pool_size)
    if variant in ("all", "g"):
        _to_channels_last(state.generator.upsample)
    if variant in ("all", "d"):
        _to_channels_last(state.discriminator.body.convs)
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    config = get_preset("mnist")
    pool = load_dataset(config.dataset, "train", config.data_dir).images
    variants = ("nchw", "all", "g", "d")
    states = {name: make_state(config, len(pool), name) for name in variants}

    def step(state: TrainingState) -> dict[str, float]:
        images = to_float_images(pool[state.sampler.next_indices()], "sigmoid")
        return train_step(state, config.latent, images, info_weight=1.0)

    first = {name: step(state) for name, state in states.items()}
    for name in variants[1:]:
        gap = max(abs(first[name][key] - first["nchw"][key]) for key in first["nchw"])
        print(f"{name}: largest difference from nchw in the first step's logged losses {gap:.2e}")
    for state in states.values():
        for _ in range(2):
            step(state)
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, state in states.items():
            started = time.perf_counter()
            for _ in range(args.steps):
                step(state)
            timings[name].append(1000 * (time.perf_counter() - started) / args.steps)
    for name, values in timings.items():
        print(f"{name:5s} median {statistics.median(values):6.1f} ms/step  ({', '.join(f'{v:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
