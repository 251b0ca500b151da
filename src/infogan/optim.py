"""Adam for the trainer: the fused kernel where this torch has it, else foreach.

Both implement the same update rule (Kingma & Ba, with bias correction); they differ in how
the arithmetic is scheduled. foreach launches about a dozen list-wide kernels per step, each
a full pass over every parameter, gradient and moment (13.3M floats for the MNIST networks);
fused does one pass per tensor, several times faster on a CPU (docs/performance.md).
Parameters agree to float32 rounding (tests/test_optim.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


def make_adam(
    parameters: Iterable[torch.nn.Parameter] | Iterable[dict], lr: float, betas: tuple[float, float]
) -> torch.optim.Adam:
    """Adam(lr, betas) over parameters or param groups, ``fused=True`` where this device supports it."""
    parameters = list(parameters)
    try:
        return torch.optim.Adam(parameters, lr=lr, betas=betas, fused=True)
    except RuntimeError:  # torch < 2.4 has no CPU fused Adam
        return torch.optim.Adam(parameters, lr=lr, betas=betas, foreach=True)


def implementation(optimizer: torch.optim.Optimizer) -> str:
    """``"fused"`` or ``"foreach"``: which kernel family ``optimizer`` steps with."""
    return "fused" if optimizer.param_groups[0].get("fused") else "foreach"


def load_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict) -> None:
    """Load ``saved`` into ``optimizer`` but keep this optimizer's kernel choice.

    ``Optimizer.load_state_dict`` takes every group setting from the checkpoint, including
    ``fused`` and ``foreach``, so a run saved by an older version (or on another device)
    would otherwise step with the saved implementation. The step counters are moved to
    where the kept implementation wants them: beside the parameters for fused, on the CPU
    for foreach.
    """
    kept = [(group.get("fused"), group.get("foreach")) for group in optimizer.param_groups]
    optimizer.load_state_dict(saved)
    for group, (fused, foreach) in zip(optimizer.param_groups, kept):
        group["fused"], group["foreach"] = fused, foreach
        for parameter in group["params"]:
            state = optimizer.state.get(parameter, {})
            if "step" in state:
                device = parameter.device if fused else torch.device("cpu")
                state["step"] = state["step"].to(device=device, dtype=torch.float32)
