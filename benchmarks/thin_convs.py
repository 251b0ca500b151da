"""A lever measured and not kept: the single-channel convolutions as unfold + batched matmul.

    python benchmarks/thin_convs.py [--rounds 20] [--steps 4]

D's first convolution (1 -> 64 channels) and G's last transposed convolution (64 -> 1) do
little arithmetic (51 MFLOP each way at batch 128) but oneDNN runs them far below its rate
on the big layers: in a profile of a training step (``benchmarks/profile_step.py`` with
shapes), their forwards and backwards take about 19 ms of the step. Written as
``F.unfold`` plus batched matrix products (weight gradients as a product per image, then a
sum), they take about 12 ms. The sums run in another order, so results differ from
nn.Conv2d's in the last bits and every seed's trajectory changes, for about 1% per step.

Prints one JSON object: the largest differences of the two layers' outputs and gradients
from nn's, relative to the largest value, and whole training steps with both layers replaced against the trainer's
layers, rounds alternating, with the median of the per-round time ratios.
"""

from __future__ import annotations

import argparse
import json

import torch
from torch import nn
from torch.nn import functional as F

from alternating import whole_steps

KERNEL, STRIDE, PADDING = 4, 2, 1
_convolution_backward = torch.ops.aten.convolution_backward


class _ThinConvFunction(torch.autograd.Function):
    """Conv2d with one input channel (4x4, stride 2, padding 1): (B, 1, H, W) -> (B, O, H/2, W/2)."""

    @staticmethod
    def forward(ctx, images, weight, bias):
        columns = F.unfold(images, KERNEL, padding=PADDING, stride=STRIDE)  # (B, 16, L)
        batch, outputs = images.shape[0], weight.shape[0]
        ctx.save_for_backward(images, weight, columns)
        flat_weight = weight.view(1, outputs, -1).expand(batch, -1, -1)
        output = torch.baddbmm(bias.view(1, outputs, 1).expand(batch, -1, columns.shape[2]), flat_weight, columns)
        return output.view(batch, outputs, images.shape[2] // STRIDE, images.shape[3] // STRIDE)

    @staticmethod
    def backward(ctx, grad_output):
        images, weight, columns = ctx.saved_tensors
        grad_flat = grad_output.reshape(grad_output.shape[0], grad_output.shape[1], -1)  # (B, O, L)
        grad_images = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:  # oneDNN's input gradient is already quick
            geometry = ([STRIDE] * 2, [PADDING] * 2, [1, 1], False, [0, 0], 1)
            grad_images = _convolution_backward(grad_output, images, weight, None, *geometry, [True, False, False])[0]
        if ctx.needs_input_grad[1]:
            grad_weight = torch.bmm(grad_flat, columns.transpose(1, 2)).sum(0).view_as(weight)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_flat.sum((0, 2))
        return grad_images, grad_weight, grad_bias


class _ThinTransposedFunction(torch.autograd.Function):
    """ConvTranspose2d with one output channel: (B, C, H, W) -> (B, 1, 2H, 2W); oneDNN forward."""

    @staticmethod
    def forward(ctx, features, weight, bias):
        ctx.save_for_backward(features, weight)
        return F.conv_transpose2d(features, weight, bias, STRIDE, PADDING)

    @staticmethod
    def backward(ctx, grad_output):
        features, weight = ctx.saved_tensors
        batch, channels = features.shape[:2]
        grad_columns = F.unfold(grad_output, KERNEL, padding=PADDING, stride=STRIDE)  # (B, 16, L)
        grad_features = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_features = torch.matmul(weight.view(channels, -1), grad_columns).view_as(features)
        if ctx.needs_input_grad[1]:
            flat = features.reshape(batch, channels, -1)
            grad_weight = torch.bmm(flat, grad_columns.transpose(1, 2)).sum(0).view_as(weight)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum().view(1)
        return grad_features, grad_weight, grad_bias


class _Thin(nn.Module):
    """Wraps one of the two layers, its parameters unchanged."""

    def __init__(self, layer: nn.Module, function) -> None:
        super().__init__()
        self.layer, self.function = layer, function

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.function.apply(inputs, self.layer.weight, self.layer.bias)


def _switch(state, way: str) -> None:
    """Both layers as the trainer has them ("plain") or wrapped in the functions above."""
    convs, upsample = state.discriminator.body.convs, state.generator.upsample
    first, last = convs[0], upsample[-2]
    first, last = getattr(first, "layer", first), getattr(last, "layer", last)
    convs[0] = first if way == "plain" else _Thin(first, _ThinConvFunction)
    upsample[-2] = last if way == "plain" else _Thin(last, _ThinTransposedFunction)


def differences() -> dict:
    """Largest |difference| from nn's layers over the largest |value|, output and each gradient, batch 128."""
    torch.manual_seed(0)
    cases = {
        "D 1 -> 64": (nn.Conv2d(1, 64, 4, 2, 1), _ThinConvFunction, torch.rand(128, 1, 28, 28)),
        "G 64 -> 1": (nn.ConvTranspose2d(64, 1, 4, 2, 1), _ThinTransposedFunction, torch.randn(128, 64, 14, 14)),
    }
    report = {}
    for name, (layer, function, inputs) in cases.items():
        results = []
        for forward in (layer, _Thin(layer, function)):
            layer.zero_grad(set_to_none=True)
            leaf = inputs.clone().requires_grad_(True)
            output = forward(leaf)
            output.backward(torch.rand(output.shape, generator=torch.Generator().manual_seed(1)))
            results.append([output.detach(), leaf.grad, layer.weight.grad, layer.bias.grad])
        gaps = [((ours - plain).abs().max() / plain.abs().max()).item() for plain, ours in zip(*results)]
        report[name] = dict(zip(["output", "input_grad", "weight_grad", "bias_grad"], gaps))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    report = {"largest_differences": differences(), "whole_steps": whole_steps(_switch, args.rounds, args.steps)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
