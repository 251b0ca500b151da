"""``infogan bench``: how fast full training steps run, against this machine's matmul peak.

A timed step is exactly the trainer's: batch indices drawn, uint8 images gathered and
scaled, the D step and the G step, with the networks wrapped as ``train`` wraps them
(``--precision``, ``--compile``, ``--channels-last``). FLOPs per step are counted by
``torch.utils.flop_counter`` on one real step (matmuls and convolutions, forward and
backward); the device's dense matmul rate in the step's precision (float32, or bf16/fp16
under autocast) is measured by the same command on a large matrix product, so the achieved
fraction is of this machine, not of a datasheet. Steps read nothing back from the device;
the timer synchronises once before and once after each repeat.
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
from infogan.distributed import World
from infogan.errors import InfoganError
from infogan.networks import get_architecture
from infogan.precision import AUTOCAST_DTYPES
from infogan.run_data import resolve_architecture
from infogan.trainer import TrainingState, build_training_state, load_training_data, train_step
from infogan.training_modules import wrap_for_training


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_flops_per_s(
    device: torch.device, size: int | None = None, repeats: int = 10, dtype: torch.dtype = torch.float32
) -> float:
    """Measured FLOP/s of a (size x size) @ (size x size) product in ``dtype``, best of ``repeats``
    (unless given: 8192 on a GPU; on the CPU 2048 in float32, 512 in bf16/fp16, which CPUs
    without native half-precision units multiply far more slowly)."""
    size = size or (8192 if device.type == "cuda" else 2048 if dtype == torch.float32 else 512)
    left = torch.randn(size, size, device=device, dtype=dtype)
    right = torch.randn(size, size, device=device, dtype=dtype)
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
    train_step(state, config.latent, images, 1.0, config.reuse_fakes, config.augment_shift)


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
    wrap_for_training(state, config, World())
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
    # FLOPs do not depend on the wrappers: counted on fresh bare networks (the counter and compile do not mix).
    step_flops = flops_per_step(build_training_state(config, device, len(pool)), config, pool, activation)
    peak_rate = matmul_flops_per_s(device, dtype=AUTOCAST_DTYPES.get(config.precision, torch.float32))
    return {
        "preset": config.preset,
        "architecture": config.architecture,
        "data": config.dataset,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "batch_size": config.batch_size,
        "precision": config.precision,
        "compile": config.compile,
        "channels_last": config.channels_last,
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
