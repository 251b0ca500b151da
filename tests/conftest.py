"""Shared test helpers: tiny configs on the bundled MNIST, seeded, no network."""

import pytest
import torch

from infogan.config import TrainConfig
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes

torch.set_num_threads(2)


@pytest.fixture
def mnist_spec() -> LatentSpec:
    return LatentSpec(Noise(62), parse_codes("cat:10,unif:2"))


@pytest.fixture
def tiny_config(mnist_spec) -> TrainConfig:
    """The MNIST networks with batch 16 and a handful of steps: fast enough for unit tests."""
    return TrainConfig(latent=mnist_spec, steps=4, batch_size=16, log_every=2, image_every=2,
                       checkpoint_every=2, eval_every=0, device="cpu")
