"""InfoGAN losses: pure functions of tensors returning ``(total, parts)``.

The adversarial terms work on logits (log-sigmoid, never a sigmoid then a log), G's is the
non-saturating one, and the information term is -sum_i lambda_i * L_I(c_i), which is
subtracted from both D's and G's objective as in the authors' code. None of these touch an
optimiser; ``parts`` holds detached 0-d tensors on the losses' device for logging, so that a
step never waits for the device (``training_log.IntervalMeans`` reads them once per log line).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from infogan.latent import LatentBatch, LatentSpec


def discriminator_adversarial_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))] from logits (B,), as a scalar."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating -E[log D(G(z))] from logits (B,), as a scalar."""
    return F.softplus(-fake_logits).mean()


def information_loss(
    spec: LatentSpec, q_output: torch.Tensor, batch: LatentBatch
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """-sum_i lambda_i L_I(c_i) and, per code, ``info/<name>`` = L_I in nats.

    q_output: (B, spec.q_output_size) raw Q output for the images generated from ``batch``.
    """
    lower_bounds = spec.info_lower_bound(q_output, batch)
    total = q_output.new_zeros(())
    for code in spec.codes:
        total = total - code.weight * lower_bounds[code.name]
    parts = {f"info/{name}": bound.detach() for name, bound in lower_bounds.items()}
    return total, parts


def discriminator_loss(
    spec: LatentSpec,
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    q_output: torch.Tensor,
    batch: LatentBatch,
    info_weight: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """D's (and Q's) loss: adversarial + ``info_weight`` * information term.

    ``info_weight`` 1 is InfoGAN; in the plain-GAN baseline the caller passes Q's output
    on detached features and ``info_weight`` 1 still trains the Q head alone.
    """
    adversarial = discriminator_adversarial_loss(real_logits, fake_logits)
    info, info_parts = information_loss(spec, q_output, batch)
    total = adversarial + info_weight * info
    parts = {
        "loss/d": adversarial.detach(),
        "d/real": torch.sigmoid(real_logits.detach()).mean(),
        "d/fake": torch.sigmoid(fake_logits.detach()).mean(),
        **info_parts,
    }
    return total, parts


def generator_loss(
    spec: LatentSpec, fake_logits: torch.Tensor, q_output: torch.Tensor, batch: LatentBatch, info_weight: float
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """G's loss: non-saturating adversarial + ``info_weight`` * information term (0: plain GAN)."""
    adversarial = generator_adversarial_loss(fake_logits)
    parts = {"loss/g": adversarial.detach()}
    if info_weight == 0:
        return adversarial, parts
    info, _ = information_loss(spec, q_output, batch)
    return adversarial + info_weight * info, parts


def contrastive_loss(pair_logits: torch.Tensor, shared_code: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """InfoGAN-CR's contrastive term: cross-entropy (nats) of which code a pair of images shares.

    pair_logits: (B, num_codes) raw scores of the CR network for B pairs; shared_code: (B,)
    int64 index of the code each pair shares. Both the CR network and G minimise it (Lin et
    al., 2020, arXiv 1906.06034; the authors' code: ``softmax_cross_entropy`` in both the CR
    and the generator loss). ``parts``: ``loss/cr`` (the cross-entropy, ln(num_codes) at
    chance) and ``cr/accuracy`` (fraction of pairs whose shared code is the top score).
    """
    cross_entropy = F.cross_entropy(pair_logits, shared_code)  # log_softmax inside: raw logits only
    accuracy = (pair_logits.argmax(dim=1) == shared_code).float().mean()
    return cross_entropy, {"loss/cr": cross_entropy.detach(), "cr/accuracy": accuracy}
