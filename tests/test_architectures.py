"""The paper's appendix architectures behind every preset: image formats, output activations,
stride-1 layers, parameter counts and one training step each. Seeded, CPU, no data files."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from infogan.data import to_float_images
from infogan.networks import architecture_of, build_models, get_architecture
from infogan.presets import PRESETS
from infogan.trainer import build_training_state, train_step

# (channels, side, output activation) of each architecture, from the paper's appendix tables.
IMAGE_FORMATS = {
    "mnist": (1, 28, "sigmoid"),
    "svhn": (3, 32, "tanh"),
    "celeba": (3, 32, "tanh"),
    "faces3d": (1, 32, "sigmoid"),
    "chairs3d": (1, 64, "sigmoid"),
    "dsprites": (1, 64, "sigmoid"),
}
PRESET_ARCHITECTURES = {
    "mnist": "mnist",
    "mnist-scaled": "mnist",
    "mnist-authors": "mnist",
    "mnist-paper": "mnist",
    "fashion-mnist": "mnist",
    "svhn": "svhn",
    "svhn-like": "svhn",
    "celeba": "celeba",
    "faces3d": "faces3d",
    "chairs3d": "chairs3d",
    "dsprites": "dsprites",
    "dsprites-cr": "dsprites",
}
BATCH = 4


def test_every_preset_is_covered():
    assert sorted(PRESETS) == sorted(PRESET_ARCHITECTURES)
    assert {name: config.architecture for name, config in PRESETS.items()} == PRESET_ARCHITECTURES


def _latents(config, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    latents = config.latent.sample(BATCH, generator, torch.device("cpu"))
    return config.latent.generator_input(latents)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_networks_give_the_architecture_format(name):
    config = PRESETS[name]
    channels, side, activation = IMAGE_FORMATS[PRESET_ARCHITECTURES[name]]
    torch.manual_seed(0)
    generator, discriminator = build_models(config)
    assert isinstance(generator.upsample[-1], nn.Tanh if activation == "tanh" else nn.Sigmoid)
    assert architecture_of(config).output_activation == activation
    with torch.no_grad():
        images = generator(_latents(config))
        assert images.shape == (BATCH, channels, side, side)
        logits, q_output = discriminator(images)
    assert logits.shape == (BATCH,)
    assert q_output.shape == (BATCH, config.latent.q_output_size)
    assert bool(torch.isfinite(logits).all()) and bool(torch.isfinite(q_output).all())
    low, high = (-1.0, 1.0) if activation == "tanh" else (0.0, 1.0)
    assert float(images.min()) >= low and float(images.max()) <= high
    if activation == "tanh":
        assert bool((images < 0).any()) and bool((images > 0).any())  # both signs: [-1, 1], not [0, 1]


@pytest.mark.parametrize("architecture", ["svhn", "celeba"])
def test_the_tanh_generator_saturates_at_minus_and_plus_one(architecture):
    config = PRESETS[architecture]
    torch.manual_seed(0)
    generator, _ = build_models(config)
    generator.eval()
    last = generator.upsample[-2]  # the last transposed convolution, before tanh
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([-50.0, 0.0, 50.0]))
        images = generator(_latents(config))
    assert images.shape == (BATCH, 3, 32, 32)
    assert images[:, 0].unique().tolist() == [-1.0]
    assert images[:, 1].unique().tolist() == [0.0]
    assert images[:, 2].unique().tolist() == [1.0]


def test_to_float_images_matches_the_output_activation():
    images = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 1, 1, 3)
    assert to_float_images(images, "sigmoid").flatten().tolist() == pytest.approx([0.0, 0.2, 1.0])
    assert to_float_images(images, "tanh").flatten().tolist() == pytest.approx([-1.0, -0.6, 1.0])
    assert to_float_images(images).dtype == torch.float32


# The 32x32 RGB and 64x64 networks take seconds a step on two cores: slow; one of each shape stays fast.
HEAVY = {"celeba", "chairs3d", "dsprites-cr", "svhn-like"}


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=pytest.mark.slow) if name in HEAVY else name for name in sorted(PRESETS)]
)
def test_one_training_step_changes_g_and_d(name):
    config = PRESETS[name].with_changes(batch_size=BATCH, device="cpu", seed=0)
    arch = architecture_of(config)
    state = build_training_state(config, torch.device("cpu"), dataset_size=2 * BATCH)
    generator_before = {key: value.detach().clone() for key, value in state.generator.named_parameters()}
    discriminator_before = {key: value.detach().clone() for key, value in state.discriminator.named_parameters()}
    uint8 = torch.randint(0, 256, (BATCH, arch.image_channels, arch.image_size, arch.image_size),
                          generator=torch.Generator().manual_seed(1), dtype=torch.uint8)  # fmt: skip
    real = to_float_images(uint8, arch.output_activation)
    metrics = train_step(state, config.latent, real, info_weight=1.0)
    assert state.step == 1
    assert metrics and all(math.isfinite(value) for value in metrics.values())
    assert {"d/real", "d/fake"} <= set(metrics)
    unchanged = [key for key, value in state.generator.named_parameters() if torch.equal(generator_before[key], value)]
    assert unchanged == [], "every parameter of G is updated"
    unchanged = [
        key for key, value in state.discriminator.named_parameters() if torch.equal(discriminator_before[key], value)
    ]
    assert unchanged == [], "every parameter of the D/Q body and heads is updated"


def _stride_one_outputs(network: nn.Module, run) -> list[tuple[int, ...]]:
    """The output shapes of every stride-1 (padded) layer of ``network`` during ``run()``."""
    shapes: list[tuple[int, ...]] = []
    hooks = [
        module.register_forward_hook(lambda _m, _i, output: shapes.append(tuple(output.shape)))
        for module in network.modules()
        if isinstance(module, nn.Conv2d) and module.stride == (1, 1)
    ]
    try:
        run()
    finally:
        for hook in hooks:
            hook.remove()
    return shapes


def test_chairs3d_stride_one_layers_keep_the_8x8_side():
    config = PRESETS["chairs3d"]
    torch.manual_seed(0)
    generator, discriminator = build_models(config)
    with torch.no_grad():
        latents = _latents(config)
        generator_shapes = _stride_one_outputs(generator, lambda: generator(latents))
        images = generator(latents)
        body_shapes = _stride_one_outputs(discriminator, lambda: discriminator(images))
    assert generator_shapes == [(BATCH, 256, 8, 8), (BATCH, 256, 8, 8)]
    assert body_shapes == [(BATCH, 256, 8, 8), (BATCH, 256, 8, 8)]
    assert images.shape == (BATCH, 1, 64, 64)
    assert discriminator.body.feature_size == 1024
    kernels = [m.kernel_size for m in generator.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert kernels == [(4, 4)] * 5


def test_architecture_table_rows():
    for name, (channels, side, activation) in IMAGE_FORMATS.items():
        arch = get_architecture(name)
        assert (arch.image_channels, arch.image_size, arch.output_activation) == (channels, side, activation)
    assert get_architecture("celeba") == get_architecture("svhn")  # the paper uses the SVHN networks for CelebA


def test_mnist_parameter_counts_stay_the_papers():
    generator, discriminator = build_models(PRESETS["mnist"])
    count = lambda module: sum(parameter.numel() for parameter in module.parameters())  # noqa: E731
    # G: FC 74->1024, BN, FC 1024->7*7*128, BN, upconv 128->64, BN, upconv 64->1.
    assert count(generator) == 76_800 + 2_048 + 6_428_800 + 12_544 + 131_136 + 128 + 1_025 == 6_652_481
    # D/Q: conv 1->64, conv 64->128, BN, FC 6272->1024, BN, D head, Q FC 1024->128, BN, Q out 128->12.
    assert count(discriminator) == 1_088 + 131_200 + 256 + 6_423_552 + 2_048 + 1_025 + 131_200 + 256 + 1_548
    assert count(generator) + count(discriminator) == 13_344_654
