"""The modules ``train_step`` calls: the networks with their precision, compilation and DDP wrappers.

``wrap_for_training`` replaces a TrainingState's generator and discriminator by what the
config asks for, innermost first: channels-last memory, synchronised batch norm (distributed
runs with ``sync_bn``), ``torch.compile``, autocast (``precision``), DistributedDataParallel.
``bare_network`` gets the network itself back: checkpoints, image grids and evaluations use
it, so a checkpoint is the same file whichever wrappers trained it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from infogan.config import TrainConfig
from infogan.distributed import World, convert_sync_batch_norm, data_parallel
from infogan.networks import Discriminator, Generator
from infogan.precision import autocast_network, make_loss_scaler

if TYPE_CHECKING:
    from infogan.trainer import TrainingState


def bare_network(module: nn.Module) -> nn.Module:
    """The Generator or Discriminator inside any wrappers (DDP, autocast, ``torch.compile``)."""
    while not isinstance(module, (Generator, Discriminator)):
        inner = getattr(module, "module", None)  # DDP, AutocastForward
        inner = getattr(module, "_orig_mod", None) if inner is None else inner  # torch.compile
        if not isinstance(inner, nn.Module):
            return module
        module = inner
    return module


def _wrap(network: nn.Module, config: TrainConfig, device: torch.device, world: World) -> nn.Module:
    if config.channels_last:
        network.to(memory_format=torch.channels_last)
    if config.sync_bn and world.distributed:
        convert_sync_batch_norm(network, device)
    wrapped = torch.compile(network) if config.compile else network
    wrapped = autocast_network(wrapped, config.precision)
    return data_parallel(wrapped, device) if world.distributed else wrapped


def wrap_for_training(state: TrainingState, config: TrainConfig, world: World) -> None:
    """Wrap ``state``'s networks for training as ``config`` and ``world`` ask, and set its loss scaler.

    The optimisers keep their parameters: every wrapper holds the same parameter objects.
    Nothing is wrapped for a one-process float32 run without compilation or channels-last.
    """
    device = next(state.generator.parameters()).device
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: cuDNN picks its fastest kernels once
    state.generator = _wrap(state.generator, config, device, world)
    state.discriminator = _wrap(state.discriminator, config, device, world)
    state.loss_scaler = make_loss_scaler(config.precision, device)
