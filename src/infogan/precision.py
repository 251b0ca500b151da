"""Numeric precision of training: the networks' passes under autocast, the losses in float32.

``fp32`` runs as written. ``bf16`` and ``fp16`` run each network's forward pass (and so its
backward) under ``torch.autocast`` and hand float32 outputs back, so that the adversarial
losses and the information term L_I are computed in float32 outside autocast. ``fp16``
also scales the losses with a ``torch.amp.GradScaler`` (float16 gradients underflow);
its ``step`` reads one flag from the device per optimiser step, so ``bf16`` is the
precision that trains without host synchronisation.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Precision = Literal["fp32", "bf16", "fp16"]
AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def _to_float32(outputs: object) -> object:
    """Tensors (alone or in a tuple) as float32; anything else unchanged."""
    if isinstance(outputs, torch.Tensor):
        return outputs.float() if outputs.is_floating_point() else outputs
    if isinstance(outputs, tuple):
        return tuple(_to_float32(output) for output in outputs)
    return outputs


class AutocastForward(nn.Module):
    """``module`` with its forward pass under autocast to ``dtype``; its outputs come back float32.

    The wrapped network is ``.module`` (as in DistributedDataParallel), so
    ``training_modules.bare_network`` finds it and checkpoints keep its own parameter names.
    """

    def __init__(self, module: nn.Module, dtype: torch.dtype):
        super().__init__()
        self.module, self.dtype = module, dtype

    def forward(self, *args: object, **kwargs: object) -> object:
        device_type = next(self.module.parameters()).device.type
        with torch.autocast(device_type, dtype=self.dtype):
            outputs = self.module(*args, **kwargs)
        return _to_float32(outputs)


def autocast_network(module: nn.Module, precision: Precision) -> nn.Module:
    """``module`` itself for fp32, else wrapped in ``AutocastForward``."""
    return module if precision == "fp32" else AutocastForward(module, AUTOCAST_DTYPES[precision])


def make_loss_scaler(precision: Precision, device: torch.device) -> torch.amp.GradScaler:
    """A GradScaler that is on for fp16 only; disabled, ``scale`` and ``step`` pass straight through."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")
