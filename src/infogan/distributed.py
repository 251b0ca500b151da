"""Data-parallel training with torch.distributed, in processes started by ``torchrun``.

``torchrun --nproc_per_node=N -m infogan train ...`` starts N processes that train one run
with DistributedDataParallel. ``--batch-size`` stays the global batch: every process draws
the same global batch of indices and latents (the run's seeded streams) and keeps its own
contiguous shard, so data order, latent stream and checkpoints do not depend on N, and a
run resumes on any number of processes. Process 0 alone writes the run folder; the others
wait at ``barrier``. Backends: nccl on CUDA, gloo on the CPU.

Batch norm is per replica unless ``sync_bn``: then every batch-norm layer normalises with
the statistics of the global batch (``torch.nn.SyncBatchNorm`` on CUDA;
``CrossReplicaBatchNorm`` on the CPU, which torch's SyncBatchNorm does not run on).
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from infogan.errors import InfoganError
from infogan.latent import LatentBatch, LatentSpec

COLLECTIVE_TIMEOUT = timedelta(minutes=30)  # a checkpoint or evaluation on process 0 may take a while


class PeerLostError(InfoganError):
    """Another process of a distributed run stopped; this one cannot go on."""


@dataclass(frozen=True)
class World:
    """This process's place in the run: ``rank`` of ``size`` processes, ``local_rank`` on its machine."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_writer(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def world_from_environment() -> World:
    """The World torchrun describes in RANK, WORLD_SIZE and LOCAL_RANK (one process without them)."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        raise InfoganError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (torchrun sets them)") from None
    if size < 1 or not 0 <= rank < size:
        raise InfoganError(f"RANK {rank} does not fit WORLD_SIZE {size}; start the processes with torchrun")
    return World(rank, size, local_rank)


def current_world() -> World:
    """The World of the initialised process group, or a single process."""
    if not dist.is_available() or not dist.is_initialized():
        return World()
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def is_writer() -> bool:
    """True in the process that writes the run folder: process 0, or a run's only process."""
    return current_world().is_writer


def barrier() -> None:
    """Wait for every process of the run (nothing to wait for in one process)."""
    if current_world().distributed:
        dist.barrier()


def rank_device(device: torch.device, world: World) -> torch.device:
    """This process's device: its own GPU (``cuda:LOCAL_RANK``) on CUDA, else ``device``."""
    if device.type != "cuda" or not world.distributed:
        return device
    if world.local_rank >= torch.cuda.device_count():
        raise InfoganError(
            f"process {world.rank} wants GPU {world.local_rank} but {torch.cuda.device_count()} are visible; "
            "give torchrun --nproc_per_node at most the GPUs per machine"
        )
    return torch.device("cuda", world.local_rank)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise PeerLostError("stopped by torchrun (another process of the run failed); the last checkpoint is kept")


def _reason(error: BaseException) -> str:
    """The backend's error in a few words: its first sentence without the source-file prefix."""
    text = re.sub(r"^(\[[^\]]*\]\s*)+", "", str(error).strip().splitlines()[0] if str(error).strip() else "")
    return (text.split(". ")[0] or type(error).__name__)[:120]


@contextmanager
def process_group(device: torch.device) -> Iterator[World]:
    """Join the run's process group for the ``with`` block (nccl on CUDA, gloo on the CPU).

    Inside a distributed run a lost peer (killed, crashed, out of memory) surfaces as one
    ``PeerLostError`` line instead of the backend's traceback.
    """
    world = world_from_environment()
    if not world.distributed:
        yield world
        return
    if device.type == "cuda":
        torch.cuda.set_device(world.local_rank)
    backend = "nccl" if device.type == "cuda" else "gloo"
    previous_handler = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    dist.init_process_group(backend, timeout=COLLECTIVE_TIMEOUT)
    try:
        yield world
    except (dist.DistError, RuntimeError) as error:
        if isinstance(error, dist.DistError) or "gloo" in str(error) or "NCCL" in str(error):
            raise PeerLostError(
                f"process {world.rank} of {world.size} lost contact with the others ({_reason(error)}); "
                "the last checkpoint is kept: continue with --resume"
            ) from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        dist.destroy_process_group()


def check_global_batch(batch_size: int, world: World) -> None:
    """The global batch must split evenly over the processes."""
    if batch_size % world.size:
        raise InfoganError(
            f"--batch-size {batch_size} (the global batch) must be a multiple of the {world.size} processes"
        )


def shard_rows(rows: torch.Tensor, world: World) -> torch.Tensor:
    """This process's contiguous share of the global batch ``rows`` (B, ...) -> (B / size, ...)."""
    share = rows.shape[0] // world.size
    return rows[world.rank * share : (world.rank + 1) * share]


class ShardedSpec:
    """A LatentSpec whose ``sample(b)`` draws the global batch (b * size) from the shared
    stream and returns this process's b rows; everything else is the spec's own."""

    def __init__(self, spec: LatentSpec, world: World):
        self.spec, self.world = spec, world

    def sample(self, batch_size: int, rng: torch.Generator | None = None, device: torch.device | str = "cpu"):
        whole = self.spec.sample(batch_size * self.world.size, rng, device)
        codes = {name: shard_rows(values, self.world) for name, values in whole.codes.items()}
        return LatentBatch(shard_rows(whole.noise, self.world), codes)

    def __getattr__(self, name: str) -> object:
        return getattr(self.spec, name)


def mean_over_processes(values: torch.Tensor) -> torch.Tensor:
    """The mean over the run's processes of ``values`` (one all-reduce); ``values`` itself in one process."""
    world = current_world()
    if not world.distributed:
        return values
    if dist.get_backend() == "nccl":  # nccl reduces GPU tensors only (sums read back from a checkpoint are on the CPU)
        values = values.to(torch.device("cuda", torch.cuda.current_device()))
    total = values.clone()
    dist.all_reduce(total)
    return total / world.size


class _SumOverProcesses(torch.autograd.Function):
    """The sum of a tensor over the processes; its gradient is the sum of theirs (every
    process's loss depends on every process's share of the sum)."""

    @staticmethod
    def forward(ctx: object, values: torch.Tensor) -> torch.Tensor:
        total = values.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx: object, gradient: torch.Tensor) -> torch.Tensor:
        total = gradient.clone()
        dist.all_reduce(total)
        return total


class CrossReplicaBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm over the global batch on any device: the per-channel mean and variance are
    all-reduced (differentiably, so gradients flow through them as in one process).

    Input (B, C) or (B, C, H, W); the variance is computed about the global mean (two
    all-reduces), as ``torch.batch_norm`` computes it in one process.
    """

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() not in (2, 4):
            raise ValueError(f"expected a 2-D or 4-D input, got {input.dim()}-D")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if not (self.training and current_world().distributed):
            return super().forward(input)
        dims = [0] + list(range(2, input.dim()))
        count = input.numel() // input.shape[1] * current_world().size
        mean = _SumOverProcesses.apply(input.sum(dims)) / count  # (C,)
        shape = [1, -1] + [1] * (input.dim() - 2)
        centred = input - mean.view(shape)
        variance = _SumOverProcesses.apply((centred * centred).sum(dims)) / count  # (C,), biased
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                momentum = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.lerp_(mean.detach(), momentum)
                self.running_var.lerp_(variance.detach() * count / max(count - 1, 1), momentum)
        normalised = centred * torch.rsqrt(variance + self.eps).view(shape)
        if self.affine:
            normalised = normalised * self.weight.view(shape) + self.bias.view(shape)
        return normalised


def convert_sync_batch_norm(module: nn.Module, device: torch.device) -> nn.Module:
    """Every batch-norm layer of ``module`` synchronised over the processes, in place; the
    parameters and buffers are the same objects (optimisers keep them), the names unchanged."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    for name, child in module.named_children():
        if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
            replacement = CrossReplicaBatchNorm(
                child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats
            )
            replacement._parameters.update(child._parameters)
            replacement._buffers.update(child._buffers)
            replacement.train(child.training)
            setattr(module, name, replacement)
        else:
            convert_sync_batch_norm(child, device)
    return module


class DataParallelNetwork(DistributedDataParallel):
    """DistributedDataParallel that steps aside while its network is frozen (the G step's pass
    through D): no gradient of its parameters is made then, so none is to be averaged."""

    def forward(self, *args: object, **kwargs: object) -> object:
        if not next(self.module.parameters()).requires_grad:
            return self.module(*args, **kwargs)
        return super().forward(*args, **kwargs)


def data_parallel(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` under DDP (gradients averaged over the processes); each keeps its own BN buffers."""
    device_ids = [device.index] if device.type == "cuda" else None
    return DataParallelNetwork(module, device_ids=device_ids, forward_sync_buffers=False)
