"""Bring images to an architecture's format: channels (grey or RGB) and a square size.

Images are uint8 tensors (N, C, H, W), C = 1 (grey) or 3 (RGB). Grey from RGB uses the
ITU-R 601 luma weights (as Pillow's "L" mode); RGB from grey repeats the channel. A size
change scales the shorter side to ``size`` with antialiasing, then crops the centre square.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LUMA_WEIGHTS = (0.299, 0.587, 0.114)
CHUNK = 4096  # images converted at a time, to bound the float32 working memory


def to_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 (N, C, H, W) with C in {1, 3} -> uint8 (N, channels, H, W)."""
    if images.shape[1] == channels:
        return images
    if channels == 3:
        return images.expand(-1, 3, -1, -1).contiguous()
    weights = torch.tensor(LUMA_WEIGHTS).view(1, 3, 1, 1)
    parts = [(part.float() * weights).sum(dim=1, keepdim=True).round_().clamp_(0, 255) for part in images.split(CHUNK)]
    return torch.cat(parts).to(torch.uint8)


def resize_and_crop(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, C, size, size): shorter side to ``size``, centre crop."""
    height, width = images.shape[-2:]
    if height == width == size:
        return images
    scale = size / min(height, width)
    new_height, new_width = max(size, round(height * scale)), max(size, round(width * scale))
    parts = []
    for part in images.split(CHUNK):
        resized = F.interpolate(
            part.float(), size=(new_height, new_width), mode="bilinear", antialias=True, align_corners=False
        )
        top, left = (new_height - size) // 2, (new_width - size) // 2
        parts.append(resized[:, :, top : top + size, left : left + size].round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(parts)


def conform(images: torch.Tensor, channels: int, size: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, channels, size, size) (see the module docstring)."""
    return to_channels(resize_and_crop(images, size), channels)
