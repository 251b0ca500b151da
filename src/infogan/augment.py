"""Differentiable random shifts of every image D and Q see (``--augment-shift``).

With ``augment_shift`` N > 0 each image that enters the discriminator, real or generated, in
D's and in G's update, is moved by its own random whole-pixel offset (dy, dx), each uniform
on {-N, ..., N}, with the border pixels repeated into the space it leaves (DiffAugment's
translation, Zhao et al., NeurIPS 2020, arXiv 2006.10738, which shifts every D input, real
and fake, with the same distribution so that D cannot tell them apart by the shift). Q then
sees shifted fakes, so the information term becomes I(c; T(G(c, z))) with T the random
shift: by the data-processing inequality still a lower bound on the paper's I(c; G(c, z)),
and one that no code can raise through a detail a shift of N pixels destroys. Evaluation
and sampling never shift: Q reads test images as they are.

The offsets are drawn from the run's latent stream, so a resumed run replays them exactly,
and for the global batch, so that N processes shift as one does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from infogan.distributed import current_world, shard_rows


def random_shift(images: torch.Tensor, max_shift: int, rng: torch.Generator) -> torch.Tensor:
    """``images`` (B, C, H, W) each shifted by its own offset in {-max_shift..max_shift}^2 pixels.

    The result has the input's shape, dtype and device and carries gradients back to
    ``images`` (a shift is a gather: each output pixel is one input pixel). ``max_shift`` 0
    returns ``images`` itself and draws nothing from ``rng``.
    """
    if max_shift == 0:
        return images
    batch, _, height, width = images.shape
    world = current_world()  # under torchrun: draw the global batch's offsets, keep this process's rows
    offsets = torch.randint(0, 2 * max_shift + 1, (batch * world.size, 2), generator=rng, device=rng.device)
    offsets = shard_rows(offsets, world).to(images.device)  # (B, 2): into the padded image, rows then columns
    padded = F.pad(images, (max_shift,) * 4, mode="replicate")  # (B, C, H + 2N, W + 2N)
    rows = torch.arange(height, device=images.device)[None, :] + offsets[:, :1]  # (B, H)
    cols = torch.arange(width, device=images.device)[None, :] + offsets[:, 1:]  # (B, W)
    batch_index = torch.arange(batch, device=images.device)[:, None, None]
    shifted = padded.permute(0, 2, 3, 1)[batch_index, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return shifted.permute(0, 3, 1, 2).contiguous(memory_format=_memory_format(images))


def _memory_format(images: torch.Tensor) -> torch.memory_format:
    """Channels-last in, channels-last out; contiguous otherwise."""
    if images.dim() == 4 and images.is_contiguous(memory_format=torch.channels_last) and not images.is_contiguous():
        return torch.channels_last
    return torch.contiguous_format
