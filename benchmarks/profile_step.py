"""Where a training step's time goes: torch.profiler over 5 full steps (after 3 warm-up).

    python benchmarks/profile_step.py

Prints the profiler's table of operators by self CPU time.
"""

from __future__ import annotations

import torch
from torch.profiler import ProfilerActivity, profile

from infogan.bench import _one_step
from infogan.data import load_dataset
from infogan.networks import get_architecture
from infogan.presets import get_preset
from infogan.trainer import build_training_state


def main() -> None:
    config = get_preset("mnist").with_changes(device="cpu")
    images = load_dataset("mnist", "train").images
    state = build_training_state(config, torch.device("cpu"), len(images))
    activation = get_architecture(config.architecture).output_activation
    for _ in range(3):
        _one_step(state, config, images, activation)
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(5):
            _one_step(state, config, images, activation)
    print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


if __name__ == "__main__":
    main()
