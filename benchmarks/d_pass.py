"""A lever measured and not kept: D over real and fake in one pass, batch norm per half.

    python benchmarks/d_pass.py [--rounds 15] [--steps 4] [--whole-steps]

Convolutions and linear layers treat every image alone, so D's real and fake halves can go
through them as one batch of 2B (larger matrix products) while each batch-norm layer
normalises each half with that half's own statistics: the same mathematics as the trainer's
two separate passes. This times D's forward and backward of the D step both ways, rounds
alternating so both see the same machine load, and prints one JSON object: median ms of
each, the speed-up and the largest loss and gradient differences on one batch. With
``--whole-steps`` it times full training steps instead (D step and G step, the G step the
trainer's in both), with freed memory kept as ``infogan train`` keeps it, and adds the
median of the per-round time ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

from infogan.allocator import keep_freed_memory
from infogan.data import load_dataset, to_float_images
from infogan.losses import discriminator_loss
from infogan.networks import Discriminator
from infogan.presets import get_preset
from infogan.trainer import TrainingState, build_training_state, generator_step, train_step


def _per_half(layers: nn.Sequential, inputs: torch.Tensor) -> torch.Tensor:
    """``layers`` on (2B, ...): batch norm on each half alone, everything else on all 2B."""
    for layer in layers:
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            inputs = torch.cat([layer(half) for half in inputs.chunk(2)])
        else:
            inputs = layer(inputs)
    return inputs


def one_pass(discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor):
    """(real logits (B,), fake logits (B,), Q output on the fakes (B, q)) from one pass."""
    body = discriminator.body
    features = _per_half(body.fully_connected, _per_half(body.convs, torch.cat([real, fake])).flatten(1))
    real_logits, fake_logits = discriminator.d_head(features).squeeze(1).chunk(2)
    return real_logits, fake_logits, _per_half(discriminator.q_head, features)[len(real):]


def two_passes(discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor):
    """The trainer's D step: real and fake images through D one after the other."""
    real_logits, _ = discriminator(real)
    fake_logits, q_output = discriminator(fake)
    return real_logits, fake_logits, q_output


def d_step_backward(forward, discriminator, spec, real, fake, latents) -> torch.Tensor:
    """D's loss of one D step, back-propagated into ``discriminator``'s gradients."""
    discriminator.zero_grad(set_to_none=True)
    loss, _ = discriminator_loss(spec, *forward(discriminator, real, fake), latents)
    loss.backward()
    return loss.detach()


def train_step_one_pass(state: TrainingState, spec, real_images: torch.Tensor, info_weight: float) -> dict:
    """``infogan.trainer.train_step`` with the D step's two passes replaced by ``one_pass``."""
    generator, discriminator = state.generator, state.discriminator
    latents = spec.sample(len(real_images), state.latent_rng, real_images.device)
    with torch.no_grad():
        fake_images = generator(spec.generator_input(latents))
    d_total, metrics = discriminator_loss(spec, *one_pass(discriminator, real_images, fake_images), latents)
    state.optimizer_d.zero_grad(set_to_none=True)
    d_total.backward()
    state.optimizer_d.step()
    metrics.update(generator_step(state, spec, len(real_images), real_images.device, info_weight))
    state.step += 1
    return metrics


def time_whole_steps(state: TrainingState, spec, images: torch.Tensor, rounds: int, steps: int) -> dict:
    """Median ms per full training step of each D-step variant, rounds alternating."""
    variants = {"one_pass": train_step_one_pass, "two_passes": train_step}
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, step in variants.items():
            step(state, spec, to_float_images(images[state.sampler.next_indices()]), 1.0)  # untimed
            started = time.perf_counter()
            for _ in range(steps):
                step(state, spec, to_float_images(images[state.sampler.next_indices()]), 1.0)
            timings[name].append((time.perf_counter() - started) / steps)
    ratios = [two / one for one, two in zip(timings["one_pass"], timings["two_passes"])]
    return {
        "whole_step_one_pass_ms": 1000 * statistics.median(timings["one_pass"]),
        "whole_step_two_passes_ms": 1000 * statistics.median(timings["two_passes"]),
        "whole_step_median_ratio": statistics.median(ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--whole-steps", action="store_true", help="time full training steps instead")
    args = parser.parse_args()
    config = get_preset("mnist").with_changes(device="cpu")
    spec, images = config.latent, load_dataset("mnist", "train").images
    state = build_training_state(config, torch.device("cpu"), len(images))
    discriminator, real = state.discriminator, to_float_images(images[:128])
    latents = spec.sample(128, state.latent_rng, torch.device("cpu"))
    with torch.no_grad():
        fake = state.generator(spec.generator_input(latents))
    loss_one = d_step_backward(one_pass, discriminator, spec, real, fake, latents)
    grads_one = [p.grad.clone() for p in discriminator.parameters()]
    loss_two = d_step_backward(two_passes, discriminator, spec, real, fake, latents)
    grad_gap = max((p.grad - g).abs().max().item() for p, g in zip(discriminator.parameters(), grads_one))
    if args.whole_steps:
        keep_freed_memory()
        result = time_whole_steps(state, spec, images, args.rounds, args.steps)
        print(json.dumps({**result, "loss_difference": abs(loss_one - loss_two).item(),
                          "max_gradient_difference": grad_gap}, indent=2))
        return
    timings = {one_pass: [], two_passes: []}
    for _ in range(args.rounds):
        for forward in timings:
            started = time.perf_counter()
            for _ in range(args.steps):
                d_step_backward(forward, discriminator, spec, real, fake, latents)
            timings[forward].append((time.perf_counter() - started) / args.steps)
    result = {
        "one_pass_ms": 1000 * statistics.median(timings[one_pass]),
        "two_passes_ms": 1000 * statistics.median(timings[two_passes]),
        "loss_difference": abs(loss_one - loss_two).item(),
        "max_gradient_difference": grad_gap,
    }
    result["speedup"] = result["two_passes_ms"] / result["one_pass_ms"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
