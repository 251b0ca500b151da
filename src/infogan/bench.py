"""``infogan bench``: how fast full training steps run, against this machine's matmul peak.

A timed step is exactly the trainer's: batch indices drawn, uint8 images gathered and
scaled, the D step and the G step. FLOPs per step are counted by
``torch.utils.flop_counter`` on one real step (matmuls and convolutions, forward and
backward); the machine's float32 matmul rate is measured by the same command on a large
matrix product, so the achieved fraction is of this machine, not of a datasheet.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from infogan.config import TrainConfig
from infogan.data import to_float_images
from infogan.devices import resolve_device
from infogan.errors import InfoganError
from infogan.networks import get_architecture
from infogan.run_data import resolve_architecture
from infogan.trainer import TrainingState, build_training_state, load_training_data, train_step


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_flops_per_s(device: torch.device, size: int = 2048, repeats: int = 10) -> float:
    """Measured float32 FLOP/s of a (size x size) @ (size x size) product, best of ``repeats``."""
    left, right = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    for _ in range(3):
        left @ right
    best = float("inf")
    for _ in range(repeats):
        _synchronize(device)
        started = time.perf_counter()
        left @ right
        _synchronize(device)
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best


def _one_step(state: TrainingState, config: TrainConfig, pool: torch.Tensor, activation: str) -> None:
    indices = state.sampler.next_indices().to(pool.device)
    images = to_float_images(pool[indices], activation)
    train_step(state, config.latent, images, info_weight=1.0, reuse_fakes=config.reuse_fakes)


def flops_per_step(state: TrainingState, config: TrainConfig, pool: torch.Tensor, activation: str) -> int:
    """FLOPs of one full training step, as counted by torch's flop counter."""
    with FlopCounterMode(display=False) as counter:
        _one_step(state, config, pool, activation)
    return counter.get_total_flops()


def peak_memory_mb(device: torch.device) -> float:
    """Peak resident memory of this process (CPU) or peak allocated GPU memory, in MiB."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak_kib / 1024 if sys.platform != "darwin" else peak_kib / 2**20


def run_benchmark(config: TrainConfig, steps: int = 20, repeats: int = 3, warmup: int = 3) -> dict:
    """Median images/s over ``repeats`` timings of ``steps`` full training steps, and context:
    FLOPs per step, the measured matmul rate and the fraction of it a step achieves, peak memory."""
    for name, value, least in (("steps", steps, 1), ("repeats", repeats, 1), ("warmup", warmup, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= 10_000:
            raise InfoganError(f"{name} must be an integer from {least} to 10000, got {value!r}")
    device = resolve_device(config.device)
    config = resolve_architecture(config)
    train_set, _ = load_training_data(config.with_changes(eval_every=0))
    activation = get_architecture(config.architecture).output_activation
    pool = train_set.images.to(device)
    state = build_training_state(config, device, len(pool))
    for _ in range(warmup):
        _one_step(state, config, pool, activation)
    timings = []
    for _ in range(repeats):
        _synchronize(device)
        started = time.perf_counter()
        for _ in range(steps):
            _one_step(state, config, pool, activation)
        _synchronize(device)
        timings.append((time.perf_counter() - started) / steps)
    seconds_per_step = statistics.median(timings)
    step_flops = flops_per_step(state, config, pool, activation)
    peak_rate = matmul_flops_per_s(device)
    return {
        "preset": config.preset,
        "architecture": config.architecture,
        "data": config.dataset,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "batch_size": config.batch_size,
        "steps_timed": steps * repeats,
        "images_per_s": config.batch_size / seconds_per_step,
        "images_per_s_each_repeat": [config.batch_size / t for t in timings],
        "ms_per_step": 1000 * seconds_per_step,
        "peak_memory_mb": peak_memory_mb(device),
        "flops_per_step": step_flops,
        "achieved_flops_per_s": step_flops / seconds_per_step,
        "matmul_flops_per_s": peak_rate,
        "fraction_of_matmul_peak": step_flops / seconds_per_step / peak_rate,
    }
