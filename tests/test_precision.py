"""Precision and the training wrappers: autocast passes with float32 losses, the fp16 loss
scaler, bare networks for checkpoints, and metrics that stay on the device."""

import math

import pytest
import torch

from infogan.checkpoint import state_to_checkpoint
from infogan.distributed import World
from infogan.precision import AutocastForward, autocast_network, make_loss_scaler
from infogan.trainer import build_training_state, train_step
from infogan.training_log import IntervalMeans
from infogan.training_modules import bare_network, wrap_for_training
from run_folders import tiny_config


def test_autocast_runs_the_network_in_bf16_and_returns_float32():
    torch.manual_seed(0)
    network = torch.nn.Linear(4, 3)
    seen = []
    network.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    wrapped = autocast_network(network, "bf16")
    output = wrapped(torch.randn(2, 4))
    assert seen == [torch.bfloat16] and output.dtype == torch.float32
    assert autocast_network(network, "fp32") is network
    assert bare_network(AutocastForward(network, torch.bfloat16)) is network  # not a Generator: the innermost


def test_bare_network_unwraps_compile_autocast_and_keeps_plain_runs_unwrapped():
    config = tiny_config()
    state = build_training_state(config, torch.device("cpu"), 100)
    generator = state.generator
    wrap_for_training(state, config, World())
    assert state.generator is generator and not state.loss_scaler.is_enabled()  # fp32, one process: as built
    compiled = torch.nn.Module()
    compiled._orig_mod = generator  # where torch.compile's OptimizedModule keeps the network
    assert bare_network(autocast_network(compiled, "bf16")) is generator


@pytest.mark.slow  # bf16 is emulated on CPUs without native units: one step takes seconds
def test_bf16_step_trains_float32_weights_with_float32_losses():
    config = tiny_config(batch_size=8, precision="bf16")
    state = build_training_state(config, torch.device("cpu"), 100)
    wrap_for_training(state, config, World())
    metrics = train_step(state, config.latent, torch.rand(8, 1, 28, 28), info_weight=1.0)
    assert all(value.dtype == torch.float32 and math.isfinite(value) for value in metrics.values())
    assert all(p.dtype == torch.float32 for p in state.generator.parameters())
    checkpoint = state_to_checkpoint(state, config)
    assert list(checkpoint["generator"]) == list(bare_network(state.generator).state_dict())
    assert not any(name.startswith("module.") for name in checkpoint["discriminator"])


def test_fp16_scaler_is_on_for_fp16_only_and_checkpointed():
    assert not make_loss_scaler("bf16", torch.device("cpu")).is_enabled()
    config = tiny_config(batch_size=8, precision="fp16")
    state = build_training_state(config, torch.device("cpu"), 100)
    wrap_for_training(state, config, World())
    assert state.loss_scaler.is_enabled()
    assert state_to_checkpoint(state, config)["loss_scaler"]["scale"] == 65536.0
    assert "loss_scaler" not in state_to_checkpoint(
        build_training_state(tiny_config(), torch.device("cpu"), 100), config
    )


def test_device_sums_are_the_float_sums_bit_for_bit():
    values = torch.rand(50, generator=torch.Generator().manual_seed(0)) * 3 - 1  # float32
    on_device, as_floats = IntervalMeans(), IntervalMeans()
    for value in values:
        on_device.add({"loss/d": value, "info/c1": -value})
        as_floats.add({"loss/d": value.item(), "info/c1": -value.item()})
    assert on_device.state_dict() == as_floats.state_dict()
    assert on_device.pop() == as_floats.pop() and list(as_floats.sums) == []
    on_device.add({"loss/d": torch.tensor(float("nan")), "info/c1": torch.tensor(1.0)})
    assert list(on_device.nonfinite()) == ["loss/d"]
