import math

import pytest
import torch
import torch.nn.functional as F

from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.losses import (
    discriminator_adversarial_loss,
    discriminator_loss,
    generator_adversarial_loss,
    information_loss,
)
from infogan.networks import build_networks, get_architecture


def test_adversarial_losses_match_a_hand_computation():
    real_logits = torch.tensor([2.0, -1.0])
    fake_logits = torch.tensor([0.5, -3.0])
    sig = torch.sigmoid
    expected_d = -(torch.log(sig(real_logits)).mean() + torch.log(1 - sig(fake_logits)).mean())
    expected_g = -torch.log(sig(fake_logits)).mean()
    assert discriminator_adversarial_loss(real_logits, fake_logits).item() == pytest.approx(expected_d.item(), rel=1e-6)
    assert generator_adversarial_loss(fake_logits).item() == pytest.approx(expected_g.item(), rel=1e-6)


def test_information_loss_of_a_known_batch():
    spec = LatentSpec(Noise(1), parse_codes("cat:3,unif:1:lambda=0.5"))
    batch = spec.sample(2, torch.Generator().manual_seed(0))
    batch.codes["c1"] = torch.tensor([0, 2])
    batch.codes["c2"] = torch.tensor([0.5, -0.5])
    q_output = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0, 1.0]])
    log_q_cat = [1 - math.log(math.e + 2), 2 - math.log(2 + math.exp(2))]
    log_q_cont = [-0.5 * 0.25 - 0.5 * math.log(2 * math.pi), -0.5 * 2.25 - 0.5 * math.log(2 * math.pi)]
    lower_cat = sum(log_q_cat) / 2 + math.log(3)
    lower_cont = sum(log_q_cont) / 2 + math.log(2)
    total, parts = information_loss(spec, q_output, batch)
    assert parts["info/c1"] == pytest.approx(lower_cat, rel=1e-6)
    assert parts["info/c2"] == pytest.approx(lower_cont, rel=1e-6)
    assert total.item() == pytest.approx(-(lower_cat + 0.5 * lower_cont), rel=1e-6)
    # Cross-entropy sees raw logits once: no softmax before it.
    assert -F.cross_entropy(q_output[:, :3], batch.codes["c1"]).item() == pytest.approx(sum(log_q_cat) / 2)


def _grad_norm(module):
    return sum(p.grad.abs().sum().item() for p in module.parameters() if p.grad is not None)


def test_information_term_reaches_generator_q_head_and_shared_body(mnist_spec):
    torch.manual_seed(0)
    arch = get_architecture("mnist")
    generator, discriminator = build_networks(arch, 74, mnist_spec.q_output_size, 0.1)
    batch = mnist_spec.sample(8, torch.Generator().manual_seed(0))
    _, q_output = discriminator(generator(mnist_spec.generator_input(batch)))
    info, _ = information_loss(mnist_spec, q_output, batch)
    info.backward()
    assert _grad_norm(generator) > 0
    assert _grad_norm(discriminator.q_head) > 0
    assert _grad_norm(discriminator.body) > 0
    assert _grad_norm(discriminator.d_head) == 0  # D's head does not feed Q


def test_plain_mode_keeps_q_out_of_the_body(mnist_spec):
    torch.manual_seed(0)
    generator, discriminator = build_networks(get_architecture("mnist"), 74, mnist_spec.q_output_size, 0.1)
    batch = mnist_spec.sample(8, torch.Generator().manual_seed(0))
    _, q_output = discriminator(generator(mnist_spec.generator_input(batch)).detach(), detach_q=True)
    info, _ = information_loss(mnist_spec, q_output, batch)
    info.backward()
    assert _grad_norm(discriminator.q_head) > 0
    assert _grad_norm(discriminator.body) == 0


def test_discriminator_loss_parts_report_nats(mnist_spec):
    batch = mnist_spec.sample(4, torch.Generator().manual_seed(0))
    q_output = torch.zeros(4, mnist_spec.q_output_size)
    _, parts = discriminator_loss(mnist_spec, torch.zeros(4), torch.zeros(4), q_output, batch)
    assert parts["loss/d"] == pytest.approx(2 * math.log(2))
    assert parts["d/real"] == pytest.approx(0.5)
    assert parts["info/c1"] == pytest.approx(0.0, abs=1e-6)
