"""infogan.conv.ConvTranspose2d computes exactly what nn.ConvTranspose2d computes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from infogan.conv import ConvTranspose2d, transposed_output_shape
from infogan.networks import build_networks, get_architecture

# (in channels, out channels, stride, padding, input side): G's two MNIST layers, then a
# colour output layer and a stride-1 layer as other architectures would have them.
LAYERS = [(128, 64, 2, 1, 7), (64, 1, 2, 1, 14), (64, 3, 2, 1, 16), (32, 16, 1, 0, 5)]


def _run(forward, layer: nn.ConvTranspose2d, inputs: torch.Tensor, weight_grad: bool):
    layer.zero_grad(set_to_none=True)
    layer.requires_grad_(weight_grad)
    inputs = inputs.clone().requires_grad_(True)
    output = forward(inputs)
    output.backward(torch.linspace(-1, 1, output.numel()).view_as(output))
    bias_grad = None if layer.bias is None else layer.bias.grad
    grads = (layer.weight.grad, bias_grad) if weight_grad else (None, None)
    return output.detach(), inputs.grad, *grads


@pytest.mark.parametrize("in_channels,out_channels,stride,padding,side", LAYERS)
@pytest.mark.parametrize("weight_grad", [True, False])  # False: only the input gradient, as for G's input
@pytest.mark.parametrize("batch_size", [1, 7, 128])
def test_bit_identical_to_nn_conv_transpose(in_channels, out_channels, stride, padding, side, weight_grad, batch_size):
    torch.manual_seed(in_channels + out_channels + batch_size)
    layer = ConvTranspose2d(in_channels, out_channels, 4, stride, padding)
    inputs = torch.randn(batch_size, in_channels, side, side)
    ours = _run(layer, layer, inputs, weight_grad)
    plain = _run(lambda x: nn.ConvTranspose2d.forward(layer, x), layer, inputs, weight_grad)
    assert ours[0].shape == (batch_size, out_channels, *transposed_output_shape(inputs, layer.weight, [stride] * 2,
                                                                                 [padding] * 2, [1, 1], 1)[2:])
    for mine, reference in zip(ours, plain):
        assert (mine is None) == (reference is None)
        if mine is not None:
            assert torch.equal(mine, reference)


def test_without_bias_and_without_gradient() -> None:
    torch.manual_seed(0)
    layer = ConvTranspose2d(128, 64, 4, 2, 1, bias=False)
    inputs = torch.randn(16, 128, 7, 7)
    with torch.no_grad():  # G's forward in the D step
        assert torch.equal(layer(inputs), nn.ConvTranspose2d.forward(layer, inputs))
    ours = _run(layer, layer, inputs, True)
    plain = _run(lambda x: nn.ConvTranspose2d.forward(layer, x), layer, inputs, True)
    assert all(torch.equal(a, b) for a, b in zip(ours[:3], plain[:3])) and ours[3] is None


def test_output_padding_and_output_size_take_nn_path() -> None:
    torch.manual_seed(1)
    layer = ConvTranspose2d(8, 4, 4, 2, 1, output_padding=1)
    inputs = torch.randn(2, 8, 5, 5)
    assert layer(inputs).shape == (2, 4, 11, 11)
    plain = ConvTranspose2d(8, 4, 4, 2, 1)
    assert plain(inputs, output_size=[11, 11]).shape == (2, 4, 11, 11)


def test_generator_uses_it_and_state_dict_is_unchanged() -> None:
    generator, _ = build_networks(get_architecture("mnist"), 74, 12, 0.1)
    upsampling = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(upsampling) == 2 and all(isinstance(m, ConvTranspose2d) for m in upsampling)
    keys = [k for k in generator.state_dict() if "upsample" in k and k.endswith(("weight", "bias"))]
    assert "upsample.0.weight" in keys and "upsample.0.bias" in keys
