"""Learning rates over a run: the optional fast start, Q's own rate, and rollback's halving.

``fast_start_steps`` > 0 trains the first updates with G at ``fast_start_lr_g`` and Q's head
at ``fast_start_lr_q``, then drops both to the run's own rates. Rates are scaled, never set,
so a rollback's halving survives the hand-over.
"""

from __future__ import annotations

import torch

from infogan.config import TrainConfig
from infogan.networks import Discriminator


def fast_start_active(config: TrainConfig) -> bool:
    """Whether the run begins with the faster G / Q-head rates of ``config.fast_start_*``."""
    return config.fast_start_steps > 0 and (config.fast_start_lr_g is not None or config.fast_start_lr_q is not None)


def learning_rates(config: TrainConfig, fast: bool) -> tuple[float, float]:
    """(G's rate, Q head's rate), during the fast start (``fast``) or after it."""
    lr_g, lr_q = config.lr_g, config.lr_q if config.lr_q is not None else config.lr_d
    if fast:
        lr_g = config.fast_start_lr_g if config.fast_start_lr_g is not None else lr_g
        lr_q = config.fast_start_lr_q if config.fast_start_lr_q is not None else lr_q
    return lr_g, lr_q


def discriminator_param_groups(discriminator: Discriminator, config: TrainConfig) -> list[dict]:
    """D's optimiser groups: the body and D head at ``lr_d``, then Q's head at its own rate.

    With neither ``lr_q`` nor a fast start for Q there is one group, so the optimiser (and its
    checkpointed state) is the one-group Adam of the authors' code.
    """
    if config.lr_q is None and not (fast_start_active(config) and config.fast_start_lr_q is not None):
        return [{"params": list(discriminator.parameters())}]
    q_head = list(discriminator.q_head.parameters())
    q_ids = {id(parameter) for parameter in q_head}
    rest = [parameter for parameter in discriminator.parameters() if id(parameter) not in q_ids]
    return [{"params": rest}, {"params": q_head, "lr": learning_rates(config, fast_start_active(config))[1]}]


def end_fast_start(optimizer_g: torch.optim.Optimizer, optimizer_d: torch.optim.Optimizer, config: TrainConfig) -> None:
    """Drop G's and Q head's rates from the fast start's to the run's own."""
    (fast_g, fast_q), (slow_g, slow_q) = learning_rates(config, True), learning_rates(config, False)
    for group in optimizer_g.param_groups:
        group["lr"] *= slow_g / fast_g
    if len(optimizer_d.param_groups) > 1:
        optimizer_d.param_groups[1]["lr"] *= slow_q / fast_q


def all_rates(*optimizers: torch.optim.Optimizer) -> list[float]:
    """Every parameter group's learning rate, optimiser by optimiser."""
    return [group["lr"] for optimizer in optimizers for group in optimizer.param_groups]


def set_rates(rates: list[float], *optimizers: torch.optim.Optimizer) -> None:
    """Set every parameter group's learning rate, in ``all_rates``' order."""
    groups = [group for optimizer in optimizers for group in optimizer.param_groups]
    for group, rate in zip(groups, rates, strict=True):
        group["lr"] = rate
