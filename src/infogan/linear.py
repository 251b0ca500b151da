"""``Linear``: nn.Linear whose short, wide matrix products run transposed on the CPU.

Two of the MNIST networks' FC products have an output of 128 rows (the batch) and 6272
columns: G's 1024 -> 6272 layer forward, x (B, 1024) @ W^T, and the input gradient of D's
6272 -> 1024 layer, g (B, 1024) @ W (1024, 6272). Computed as (W @ x^T)^T, the output then
tall and narrow, copied back to row-major, they make a whole training step 1.026x faster
(``benchmarks/gemm_orientation.py``, quiet CPU). MKL's reduction order is the same, so the
result is bit-identical to nn.Linear's (``tests/test_linear.py``; exact from 12 rows, on one
thread and on two; with fewer rows MKL takes other kernels that round differently, so
those, below ``MIN_ROWS``, stay as they are). Layers with no wide product, and every CUDA
product, are plain F.linear; weight and bias gradients are computed as nn.Linear does.
The parameters and state dict are nn.Linear's.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

MIN_INNER = 256  # below this the product is too small for the orientation to matter
MIN_ROWS = 16  # below this MKL's kernels for the two orientations round differently


def is_wide(rows: int, inner: int, columns: int) -> bool:
    """Whether (rows x inner) @ (inner x columns) is large with a short, wide output."""
    return rows >= MIN_ROWS and inner >= MIN_INNER and columns > inner and columns >= 4 * rows


def oriented_product(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    """left (M, K) @ right (K, N) -> (M, N) row-major; computed as (right^T @ left^T)^T if wide."""
    if is_wide(left.shape[0], left.shape[1], right.shape[1]):
        return (right.t() @ left.t()).t().contiguous()
    return left @ right


class _OrientedLinearFunction(torch.autograd.Function):
    """F.linear for 2-D inputs with the forward and input-gradient products oriented."""

    @staticmethod
    def forward(ctx, inputs: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(inputs, weight)
        ctx.has_bias = bias is not None
        if not is_wide(inputs.shape[0], inputs.shape[1], weight.shape[0]):
            return F.linear(inputs, weight, bias)  # (B, out)
        if bias is None:
            return oriented_product(inputs, weight.t())
        # The bias enters the product as nn.Linear's addmm adds it, so rounding is the same.
        return torch.addmm(bias.unsqueeze(1), weight, inputs.t()).t().contiguous()  # (B, out)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        inputs, weight = ctx.saved_tensors
        needs_inputs, needs_weight, needs_bias = ctx.needs_input_grad
        grad_inputs = oriented_product(grad_output, weight) if needs_inputs else None  # (B, in)
        grad_weight = grad_output.t() @ inputs if needs_weight else None  # (out, in)
        grad_bias = grad_output.sum(0) if ctx.has_bias and needs_bias else None  # (out,)
        return grad_inputs, grad_weight, grad_bias


class Linear(nn.Linear):
    """nn.Linear; on the CPU, a 2-D batch whose forward or input-gradient product is wide
    goes through the oriented products above, everything else through F.linear."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.device.type == "cpu" and inputs.dim() == 2:
            rows = inputs.shape[0]
            if is_wide(rows, self.in_features, self.out_features) or is_wide(rows, self.out_features, self.in_features):
                return _OrientedLinearFunction.apply(inputs, self.weight, self.bias)
        return F.linear(inputs, self.weight, self.bias)
