"""InfoGAN-CR's contrastive regulariser: a network that tells which code a pair of fakes shares.

Lin, Thekumparampil, Fanti, Oh, "InfoGAN-CR and ModelCentrality: Self-supervised Model
Training and Selection for Disentangling GANs", ICML 2020, arXiv 1906.06034. A pair of
generated images shares the value of one code I, chosen uniformly, and the noise
(``LatentSpec.sample_pairs``); the CR network H sees the pair and predicts I. H and G both minimise the cross-entropy
(``losses.contrastive_loss``), G with weight alpha: G is pushed to make each code change
the image in its own, recognisable way, which is what a latent traversal shows. Sharp
recognition needs disentangled codes, so the term rewards disentanglement.

The update (``contrastive_step``, step 4 of ``trainer.train_step``): a fresh batch of B pairs,
H steps on the cross-entropy and G steps on alpha times it (one backward pass; G's
gradients are scaled by alpha). D and Q are not involved. As in the authors' code (github
fjxmlzn/InfoGAN-CR, InfoGAN-CR_dSprites/gan/infogan_cr.py): H is its own network with its
own Adam (lr ``lr_cr``, 2e-3 there; beta1 the run's, 0.5 there); while alpha is 0 (before a
progressive schedule's first rise) H still trains, on pairs G renders in eval mode, and G
gets no CR gradient; H and its optimiser start afresh at every rise (``contrastive_schedule``).
Their code updates G twice per iteration, each time with the adversarial, information and
CR terms together; here G takes its usual step and then the CR step.

H's architecture is the run's D/Q body (``networks.DiscriminatorBody``, the architecture
table's row) with twice the input channels, the two images stacked along channels as the
authors do, and one linear layer to one score per code. (Their dSprites H is a smaller
stack, conv 32-32-64-64 4x4 s2, FC 128, leaky ReLU 0.2, spectral norm, no batch norm;
the table's body is used here so that H fits every architecture: 28x28, 32x32, 64x64.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch
from torch import nn

from infogan.config import TrainConfig
from infogan.contrastive_schedule import ContrastiveSchedule, parse_schedule
from infogan.latent import LatentSpec
from infogan.losses import contrastive_loss
from infogan.networks import Architecture, DiscriminatorBody, architecture_of, init_weights
from infogan.optim import make_adam
from infogan.sampling import generate

if TYPE_CHECKING:
    from infogan.trainer import TrainingState


class ContrastiveHead(nn.Module):
    """H: a pair of images, each (B, C, H, W), -> one score per code (B, num_codes) (raw logits)."""

    def __init__(self, arch: Architecture, num_codes: int, leaky_slope: float):
        super().__init__()
        self.body = DiscriminatorBody(replace(arch, image_channels=2 * arch.image_channels), leaky_slope)
        self.scores = nn.Linear(self.body.feature_size, num_codes)

    def forward(self, first_images: torch.Tensor, second_images: torch.Tensor) -> torch.Tensor:
        pair = torch.cat([first_images, second_images], dim=1)  # (B, 2C, H, W)
        return self.scores(self.body(pair))  # (B, num_codes)


@dataclass
class ContrastiveState:
    """H, its optimiser and the weight schedule: the part of a training state CR adds."""

    head: ContrastiveHead
    optimizer: torch.optim.Adam
    schedule: ContrastiveSchedule
    weight_init: str


def _initialise(module: nn.Module, weight_init: str) -> None:
    """Fresh weights: N(0, 0.02) (``networks.init_weights``) or PyTorch's layer defaults."""
    if weight_init == "normal":
        module.apply(init_weights)
        return
    for layer in module.modules():
        if layer is not module and hasattr(layer, "reset_parameters"):
            layer.reset_parameters()


def build_contrastive(config: TrainConfig, device: torch.device) -> ContrastiveState | None:
    """H and its Adam for a config with ``cr_weight`` > 0; ``None`` (nothing built, nothing drawn) otherwise."""
    if config.cr_weight == 0:
        return None
    head = ContrastiveHead(architecture_of(config), len(config.latent.codes), config.leaky_slope)
    _initialise(head, config.weight_init)
    head.to(device)
    optimizer = make_adam(head.parameters(), config.lr_cr, (config.beta1, config.beta2))
    return ContrastiveState(head, optimizer, parse_schedule(config.cr_weight, config.cr_schedule), config.weight_init)


def restart(contrastive: ContrastiveState) -> None:
    """H with fresh weights and a fresh Adam at the same rate (what the authors do at each rise of alpha)."""
    _initialise(contrastive.head, contrastive.weight_init)
    group = contrastive.optimizer.param_groups[0]
    contrastive.optimizer = make_adam(contrastive.head.parameters(), group["lr"], group["betas"])


def contrastive_step(state: TrainingState, spec: LatentSpec, batch_size: int) -> dict[str, float]:
    """One CR update at ``state.step`` on ``batch_size`` fresh pairs: H on the cross-entropy, G on
    alpha times it; returns ``loss/cr``, ``cr/accuracy`` and ``cr/weight`` (alpha)."""
    contrastive, generator = state.contrastive, state.generator
    weight = contrastive.schedule.weight_at(state.step)
    if contrastive.schedule.rises_at(state.step):
        restart(contrastive)
    device = next(generator.parameters()).device
    first, second, shared_code = spec.sample_pairs(batch_size, state.latent_rng, device)
    if weight == 0:  # H learns alone: G renders in eval mode, without a graph
        first_images, second_images = generate(generator, spec, first), generate(generator, spec, second)
    else:  # two passes, batch-norm statistics per image of the pair, as the authors' two G calls
        first_images = generator(spec.generator_input(first))  # (B, C, H, W)
        second_images = generator(spec.generator_input(second))
    loss, parts = contrastive_loss(contrastive.head(first_images, second_images), shared_code)
    contrastive.optimizer.zero_grad(set_to_none=True)
    state.optimizer_g.zero_grad(set_to_none=True)
    loss.backward()
    contrastive.optimizer.step()
    if weight > 0:
        for parameter in generator.parameters():
            if parameter.grad is not None:
                parameter.grad.mul_(weight)  # G minimises alpha * cross-entropy
        state.optimizer_g.step()
    return {**parts, "cr/weight": weight}
