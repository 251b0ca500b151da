"""``ConvTranspose2d``: nn.ConvTranspose2d whose CPU forward runs as a convolution's input gradient.

A transposed convolution's forward is, by definition, the input gradient of the ordinary
convolution with the same weight. On the CPU, oneDNN's kernel for that gradient ran G's
128 -> 64 layer (batch 128, 7x7 -> 14x14) in 17.4 ms where the transposed-convolution
forward took 18.5 ms, and whole training steps 1.005x faster, in one quiet run of
``benchmarks/deconv_forward.py``. The two give bit-identical results: the same sums in the
same order, the bias added after them as oneDNN adds it (``tests/test_conv.py``). The backward is the very call autograd makes for
nn.ConvTranspose2d, so gradients are identical too. CUDA tensors, and any layer with output
padding, an explicit ``output_size`` or a non-4-D input, take nn.ConvTranspose2d's own path.
The parameters and state dict are nn.ConvTranspose2d's.
"""

from __future__ import annotations

import torch
from torch import nn

_convolution_backward = torch.ops.aten.convolution_backward


def transposed_output_shape(
    inputs: torch.Tensor, weight: torch.Tensor, stride: list[int], padding: list[int], dilation: list[int], groups: int
) -> list[int]:
    """(B, C_out, H_out, W_out) of a transposed convolution with no output padding."""
    sides = [
        (side - 1) * step - 2 * pad + spacing * (kernel - 1) + 1
        for side, step, pad, spacing, kernel in zip(inputs.shape[2:], stride, padding, dilation, weight.shape[2:])
    ]
    return [inputs.shape[0], weight.shape[1] * groups, *sides]


class _ConvTransposeFunction(torch.autograd.Function):
    """conv_transpose2d (no output padding) with the forward computed as a convolution's input gradient."""

    @staticmethod
    def forward(ctx, inputs, weight, bias, stride, padding, dilation, groups):
        ctx.save_for_backward(inputs, weight)
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.bias_sizes = None if bias is None else [bias.shape[0]]
        output_shape = transposed_output_shape(inputs, weight, stride, padding, dilation, groups)
        # The convolution this layer transposes maps (B, C_out, H_out, W_out) to ``inputs``' shape;
        # only the shape of its input is read for the input gradient, never the values.
        unread = inputs.new_empty(output_shape)
        output = _convolution_backward(
            inputs, unread, weight, None, stride, padding, dilation, False, [0, 0], groups, [True, False, False]
        )[0]  # (B, C_out, H_out, W_out)
        return output if bias is None else output.add_(bias.view(1, -1, 1, 1))

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        inputs, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        mask = list(ctx.needs_input_grad[:3])
        if ctx.bias_sizes is None:
            mask[2] = False
        grads = _convolution_backward(
            grad_output, inputs, weight, ctx.bias_sizes, stride, padding, dilation, True, [0, 0], groups, mask
        )  # exactly autograd's call for nn.ConvTranspose2d
        return (*(grad if wanted else None for grad, wanted in zip(grads, mask)), None, None, None, None)


class ConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d; on the CPU, a 4-D batch with no output padding takes the forward above."""

    def forward(self, inputs: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        plain = (
            inputs.device.type != "cpu"
            or inputs.dim() != 4
            or output_size is not None
            or any(self.output_padding)
            or self.padding_mode != "zeros"
        )
        if plain:
            return super().forward(inputs, output_size)
        return _ConvTransposeFunction.apply(
            inputs, self.weight, self.bias, list(self.stride), list(self.padding), list(self.dilation), self.groups
        )

