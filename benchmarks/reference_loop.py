"""The straightforward InfoGAN MNIST loop, written the way most public implementations are.

It is the baseline of ``benchmarks/speed_vs_reference.py``: the same paper MNIST networks
and the same objective, but FC layers as 7x7 / 1x1 convolutions in NCHW, separate real and
fake D passes with sigmoid + BCELoss, Q as separate 1x1-conv heads, D's weight gradients
computed (and discarded) in the G step, float images in a TensorDataset behind a
DataLoader. Nothing here is used by the library.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class ReferenceGenerator(nn.Module):
    def __init__(self, input_size: int = 74):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(input_size, 1024, 1, 1, bias=False),
            nn.BatchNorm2d(1024),
            nn.ReLU(),
            nn.ConvTranspose2d(1024, 128, 7, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, noise):
        return self.net(noise)


class ReferenceBody(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1),
            nn.LeakyReLU(0.1),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.1),
            nn.Conv2d(128, 1024, 7, bias=False),
            nn.BatchNorm2d(1024),
            nn.LeakyReLU(0.1),
        )

    def forward(self, x):
        return self.net(x)


class ReferenceQ(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Sequential(nn.Conv2d(1024, 128, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.1))
        self.logits, self.mean = nn.Conv2d(128, 10, 1), nn.Conv2d(128, 2, 1)

    def forward(self, features):
        hidden = self.hidden(features)
        return self.logits(hidden).squeeze(), self.mean(hidden).squeeze()


def sample_noise(batch_size: int, device: torch.device | str = "cpu"):
    category = torch.randint(10, (batch_size,), device=device)
    continuous = torch.rand(batch_size, 2, device=device) * 2 - 1
    noise = torch.rand(batch_size, 62, device=device) * 2 - 1
    one_hot = torch.zeros(batch_size, 10, device=device)
    one_hot[torch.arange(batch_size, device=device), category] = 1
    return torch.cat([noise, one_hot, continuous], 1).view(batch_size, -1, 1, 1), category, continuous


def run_reference(
    images_uint8: torch.Tensor, batch_size: int = 128, steps: int = 20, warmup: int = 3, device: str = "cpu"
) -> float:
    """Images/s of the reference loop over ``steps`` timed steps after ``warmup``, on ``device``
    (batches copied there from a CPU DataLoader, as such loops do)."""
    generator, body, d_head, q = (
        ReferenceGenerator().to(device),
        ReferenceBody().to(device),
        nn.Sequential(nn.Conv2d(1024, 1, 1), nn.Sigmoid()).to(device),
        ReferenceQ().to(device),
    )
    optimizer_d = torch.optim.Adam(
        [*body.parameters(), *d_head.parameters(), *q.parameters()], 2e-4, betas=(0.5, 0.999)
    )
    optimizer_g = torch.optim.Adam(generator.parameters(), 1e-3, betas=(0.5, 0.999))
    bce, cross_entropy = nn.BCELoss(), nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(images_uint8.float() / 255), batch_size=batch_size, shuffle=True, drop_last=True)
    done, started = 0, None
    while done < warmup + steps:
        for (real,) in loader:
            if done == warmup:
                _synchronize(device)
                started = time.perf_counter()
            if done == warmup + steps:
                break
            real = real.to(device)
            ones, zeros = torch.ones(batch_size, device=device), torch.zeros(batch_size, device=device)
            optimizer_d.zero_grad()
            loss_real = bce(d_head(body(real)).view(-1), ones)
            loss_real.backward()
            latent, category, continuous = sample_noise(batch_size, device)
            fake = generator(latent)
            features = body(fake.detach())
            logits, mean = q(features)
            info = cross_entropy(logits, category) + 0.5 * ((continuous - mean) ** 2).sum(1).mean()
            loss_fake = bce(d_head(features).view(-1), zeros) + info
            loss_fake.backward()
            optimizer_d.step()
            optimizer_g.zero_grad()
            features = body(fake)
            logits, mean = q(features)
            info = cross_entropy(logits, category) + 0.5 * ((continuous - mean) ** 2).sum(1).mean()
            loss_g = bce(d_head(features).view(-1), ones) + info
            loss_g.backward()
            optimizer_g.step()
            done += 1
    _synchronize(device)
    return steps * batch_size / (time.perf_counter() - started)


def _synchronize(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    """``python benchmarks/reference_loop.py [--steps 20] [--device cpu]``: one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    from infogan.data import load_dataset

    images_per_s = run_reference(load_dataset("mnist", "train").images, steps=args.steps, device=args.device)
    print(json.dumps({"images_per_s": images_per_s}))


if __name__ == "__main__":
    main()
