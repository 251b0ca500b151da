"""Which torch device a run uses."""

from __future__ import annotations

import torch

from infogan.errors import InfoganError

DEVICE_NAMES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name not in DEVICE_NAMES:
        raise InfoganError(f"unknown device {name!r}; use auto, cpu or cuda")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InfoganError("--device cuda was asked for but no CUDA GPU is available; use --device cpu")
    return torch.device(name)
