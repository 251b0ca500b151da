"""infogan.linear.Linear computes exactly what nn.Linear computes, on every MNIST layer shape."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from infogan.linear import Linear, is_wide, oriented_product
from infogan.networks import build_networks, get_architecture

# (in, out) of every FC layer of the MNIST networks: G's two, D's body FC, D head, Q's two.
MNIST_LAYERS = [(74, 1024), (1024, 6272), (6272, 1024), (1024, 1), (1024, 128), (128, 12)]


def _run(forward, layer: nn.Linear, inputs: torch.Tensor, grad: torch.Tensor, weight_grad: bool):
    layer.zero_grad(set_to_none=True)
    layer.requires_grad_(weight_grad)
    inputs = inputs.clone().requires_grad_(True)
    output = forward(inputs)
    output.backward(grad)
    grads = (layer.weight.grad, layer.bias.grad) if weight_grad else (None, None)
    return output.detach(), inputs.grad, *grads


@pytest.mark.parametrize("in_features,out_features", MNIST_LAYERS)
@pytest.mark.parametrize("weight_grad", [True, False])  # False: D frozen during the G step
def test_bit_identical_to_nn_linear(in_features: int, out_features: int, weight_grad: bool) -> None:
    torch.manual_seed(in_features + out_features)
    layer = Linear(in_features, out_features)
    inputs, grad = torch.randn(128, in_features), torch.randn(128, out_features)
    ours = _run(layer, layer, inputs, grad, weight_grad)
    plain = _run(lambda x: nn.Linear.forward(layer, x), layer, inputs, grad, weight_grad)
    for mine, reference in zip(ours, plain):
        assert (mine is None) == (reference is None)
        if mine is not None:
            assert torch.equal(mine, reference)


def test_the_two_wide_products_are_the_ones_oriented() -> None:
    # G's 1024 -> 6272 forward and D's 6272 -> 1024 input gradient; nothing else at batch 128.
    assert is_wide(128, 1024, 6272)
    assert not is_wide(128, 6272, 1024)  # D's forward, G's input gradient
    assert not is_wide(128, 74, 1024) and not is_wide(128, 1, 1024) and not is_wide(128, 128, 1024)
    assert not is_wide(8, 1024, 6272)  # too few rows: MKL rounds the two orientations differently
    left, right = torch.randn(128, 1024), torch.randn(1024, 6272)
    product = oriented_product(left, right)
    assert product.is_contiguous() and torch.equal(product, left @ right)


@pytest.mark.parametrize("rows", [1, 3, 8, 16, 100, 1000])  # evaluation chunks, odd batch sizes
def test_every_batch_size_matches(rows: int) -> None:
    torch.manual_seed(rows)
    layer = Linear(1024, 6272)
    inputs = torch.randn(rows, 1024)
    with torch.no_grad():
        assert torch.equal(layer(inputs), nn.Linear.forward(layer, inputs))


def test_networks_use_it_and_state_dict_is_unchanged() -> None:
    generator, discriminator = build_networks(get_architecture("mnist"), 74, 12, 0.1)
    linears = [m for m in [*generator.modules(), *discriminator.modules()] if isinstance(m, nn.Linear)]
    assert len(linears) == 6 and all(isinstance(m, Linear) for m in linears)
    keys = set(generator.state_dict())
    assert {"fully_connected.3.weight", "fully_connected.3.bias"} <= keys
    plain = nn.Linear(1024, 6272)
    plain.load_state_dict(generator.fully_connected[3].state_dict())  # same names and shapes
