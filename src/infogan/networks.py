"""Generator, the shared D/Q body and the D and Q heads, built from an architecture table.

Each of the paper's architectures is one ``Architecture`` row (the appendix tables of
Chen et al., 2016); one parametrised builder turns a row into modules. All kernels are 4x4:
a stride-2 convolution with padding 1 halves the side, a stride-2 transposed convolution
doubles it, and a stride-1 layer keeps it ("same" padding, as the authors' TensorFlow code).
A stride-1 layer of G is an ordinary convolution: with stride 1 a transposed convolution is
a convolution with a flipped kernel, so nothing is lost, and it keeps the side exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from infogan.config import TrainConfig
from infogan.errors import InfoganError


@dataclass(frozen=True)
class ConvLayer:
    """One 4x4 (transposed) convolution: output channels, stride (1 or 2), batch norm after it."""

    channels: int
    stride: int = 2
    batch_norm: bool = True


@dataclass(frozen=True)
class Architecture:
    """A paper appendix table: D/Q body, heads and G, plus the image format.

    ``body_fc`` 0: the body ends with the flattened last convolution (SVHN, CelebA).
    ``q_hidden`` 0: Q is one linear layer on the body, differing from D in the last layer
    only (3D faces, 3D chairs). ``generator_fc`` 0: G starts with the FC to its first map.
    ``dense_batch_norm`` False: no batch norm after the body's FC and Q's hidden FC;
    ``spectral_norm`` True: every convolution and linear layer of D/Q is spectrally
    normalised (Miyato et al., 2018); ``generator_leaky_slope`` > 0: G's hidden
    up-convolutions use leaky ReLU of that slope instead of ReLU (all three: InfoGAN-CR's
    dSprites networks).
    """

    image_channels: int
    image_size: int
    body_convs: tuple[ConvLayer, ...]
    body_fc: int
    q_hidden: int
    generator_fc: int
    generator_start: tuple[int, int]  # (channels, side) of the first feature map
    generator_convs: tuple[ConvLayer, ...]  # every up-convolution but the last
    output_activation: str = "sigmoid"  # images in [0, 1]; "tanh" for [-1, 1]
    dense_batch_norm: bool = True
    spectral_norm: bool = False
    generator_leaky_slope: float = 0.0


_SVHN = Architecture(
    # D: conv 64 s2 lReLU; conv 128 s2 BN lReLU; conv 256 s2 BN lReLU; D: FC out; Q: FC 128 BN lReLU, FC out.
    # G: FC 2x2x448 BN ReLU; upconv 256 s2 BN ReLU; upconv 128 s2 ReLU; upconv 64 s2 ReLU; upconv 3 s2 tanh.
    image_channels=3,
    image_size=32,
    body_convs=(ConvLayer(64, batch_norm=False), ConvLayer(128), ConvLayer(256)),
    body_fc=0,
    q_hidden=128,
    generator_fc=0,
    generator_start=(448, 2),
    generator_convs=(ConvLayer(256), ConvLayer(128, batch_norm=False), ConvLayer(64, batch_norm=False)),
    output_activation="tanh",
)

ARCHITECTURES: dict[str, Architecture] = {
    # MNIST: D conv 64 s2 lReLU; conv 128 s2 BN lReLU; FC 1024 BN lReLU; Q FC 128 BN lReLU.
    # G: FC 1024 BN ReLU; FC 7x7x128 BN ReLU; upconv 64 s2 BN ReLU; upconv 1 s2 (sigmoid).
    "mnist": Architecture(
        image_channels=1,
        image_size=28,
        body_convs=(ConvLayer(64, batch_norm=False), ConvLayer(128)),
        body_fc=1024,
        q_hidden=128,
        generator_fc=1024,
        generator_start=(128, 7),
        generator_convs=(ConvLayer(64),),
    ),
    "svhn": _SVHN,
    "celeba": _SVHN,  # the paper uses the SVHN networks for CelebA
    # 3D faces: D conv 64 s2; conv 128 s2 BN; FC 1024 BN; D and Q differ in the last FC only.
    # G: FC 1024 BN ReLU; FC 8x8x128 BN ReLU; upconv 64 s2 BN ReLU; upconv 1 s2 (sigmoid).
    "faces3d": Architecture(
        image_channels=1,
        image_size=32,
        body_convs=(ConvLayer(64, batch_norm=False), ConvLayer(128)),
        body_fc=1024,
        q_hidden=0,
        generator_fc=1024,
        generator_start=(128, 8),
        generator_convs=(ConvLayer(64),),
    ),
    # 3D chairs: D conv 64 s2; conv 128 s2 BN; conv 256 s2 BN; conv 256 BN; conv 256 BN; FC 1024 BN.
    # G: FC 1024 BN; FC 8x8x256 BN; upconv 256 BN; upconv 256 BN; upconv 128 s2 BN; upconv 64 s2 BN;
    # upconv 1 s2 (sigmoid).
    "chairs3d": Architecture(
        image_channels=1,
        image_size=64,
        body_convs=(
            ConvLayer(64, batch_norm=False),
            ConvLayer(128),
            ConvLayer(256),
            ConvLayer(256, stride=1),
            ConvLayer(256, stride=1),
        ),
        body_fc=1024,
        q_hidden=0,
        generator_fc=1024,
        generator_start=(256, 8),
        generator_convs=(ConvLayer(256, stride=1), ConvLayer(256, stride=1), ConvLayer(128), ConvLayer(64)),
    ),
    # dSprites, the networks of InfoGAN-CR (Lin et al., 2020; github.com/fjxmlzn/InfoGAN-CR,
    # InfoGAN-CR_dSprites/gan/network.py), no batch norm in D/Q, spectral norm on all its layers:
    # D conv 32 s2 lReLU; conv 32 s2 lReLU; conv 64 s2 lReLU; conv 64 s2 lReLU; FC 128 lReLU; D: FC 1.
    # Q: FC 128 lReLU, FC out. G: FC 128 ReLU BN; FC 4x4x64 ReLU BN; upconv 64 s2 lReLU BN;
    # upconv 32 s2 lReLU BN; upconv 32 s2 lReLU BN; upconv 1 s2 sigmoid (their code normalises
    # after the activation; this builder before it).
    "dsprites": Architecture(
        image_channels=1,
        image_size=64,
        body_convs=(
            ConvLayer(32, batch_norm=False),
            ConvLayer(32, batch_norm=False),
            ConvLayer(64, batch_norm=False),
            ConvLayer(64, batch_norm=False),
        ),
        body_fc=128,
        q_hidden=128,
        generator_fc=128,
        generator_start=(64, 4),
        generator_convs=(ConvLayer(64), ConvLayer(32), ConvLayer(32)),
        dense_batch_norm=False,
        spectral_norm=True,
        generator_leaky_slope=0.2,
    ),
}
# The architecture that fits a data set of (channels, side), when no preset chooses one.
BY_IMAGE_FORMAT = {
    (1, 28): "mnist",
    (3, 28): "mnist",
    (1, 32): "faces3d",
    (3, 32): "svhn",
    (1, 64): "chairs3d",
    (3, 64): "chairs3d",
}


def get_architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        raise InfoganError(f"unknown architecture {name!r}; known: {', '.join(sorted(ARCHITECTURES))}")
    return ARCHITECTURES[name]


def architecture_of(config: TrainConfig) -> Architecture:
    """The config's architecture row, with its image channels when the config sets them."""
    arch = get_architecture(config.architecture)
    return arch if config.image_channels is None else replace(arch, image_channels=config.image_channels)


def architecture_for(channels: int, size: int) -> str:
    """The architecture for images of ``channels`` (1 or 3) and side ``size``; a clear error otherwise."""
    if (channels, size) not in BY_IMAGE_FORMAT:
        raise InfoganError(
            f"no architecture takes {size}x{size} images; supported: 28 (mnist), 32 (faces3d grey, "
            "svhn RGB), 64 (chairs3d); pass --resize 28, 32 or 64 to scale and centre-crop them"
        )
    return BY_IMAGE_FORMAT[(channels, size)]


def _conv_side(side: int, layer: ConvLayer) -> int:
    return side // layer.stride


def _conv(in_channels: int, layer: ConvLayer, transposed: bool) -> nn.Module:
    """A 4x4 layer: stride 2 halves (conv) or doubles (transposed) the side, stride 1 keeps it."""
    if layer.stride == 1:  # "same" for an even kernel: one row/column before, two after (as TensorFlow)
        return nn.Sequential(nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(in_channels, layer.channels, 4, 1))
    cls = nn.ConvTranspose2d if transposed else nn.Conv2d
    return cls(in_channels, layer.channels, 4, 2, 1)


class Generator(nn.Module):
    """G(z, c): generator input (B, input_size) -> images (B, C, H, W)."""

    def __init__(self, arch: Architecture, input_size: int):
        super().__init__()
        start_channels, start_side = arch.generator_start
        self.start_shape = (start_channels, start_side, start_side)
        layers: list[nn.Module] = []
        width = input_size
        if arch.generator_fc:
            layers += [nn.Linear(input_size, arch.generator_fc), nn.BatchNorm1d(arch.generator_fc), nn.ReLU()]
            width = arch.generator_fc
        flat = start_channels * start_side * start_side
        layers += [nn.Linear(width, flat), nn.BatchNorm1d(flat), nn.ReLU()]
        self.fully_connected = nn.Sequential(*layers)
        convs: list[nn.Module] = []
        channels = start_channels
        for layer in arch.generator_convs:
            convs.append(_conv(channels, layer, transposed=True))
            convs += [nn.BatchNorm2d(layer.channels)] if layer.batch_norm else []
            convs.append(nn.LeakyReLU(arch.generator_leaky_slope) if arch.generator_leaky_slope else nn.ReLU())
            channels = layer.channels
        convs.append(nn.ConvTranspose2d(channels, arch.image_channels, 4, 2, 1))
        convs.append(nn.Sigmoid() if arch.output_activation == "sigmoid" else nn.Tanh())
        self.upsample = nn.Sequential(*convs)

    def forward(self, generator_input: torch.Tensor) -> torch.Tensor:
        features = self.fully_connected(generator_input)  # (B, C0 * S0 * S0)
        features = features.view(-1, *self.start_shape)  # (B, C0, S0, S0), MNIST (B, 128, 7, 7)
        return self.upsample(features)  # (B, C, H, W), MNIST (B, 1, 28, 28)


class DiscriminatorBody(nn.Module):
    """The layers D and Q share: images (B, C, H, W) -> features (B, feature_size)."""

    def __init__(self, arch: Architecture, leaky_slope: float):
        super().__init__()
        layers: list[nn.Module] = []
        channels, side = arch.image_channels, arch.image_size
        for layer in arch.body_convs:
            layers.append(_conv(channels, layer, transposed=False))
            layers += [nn.BatchNorm2d(layer.channels)] if layer.batch_norm else []
            layers.append(nn.LeakyReLU(leaky_slope))
            channels, side = layer.channels, _conv_side(side, layer)
        self.convs = nn.Sequential(*layers)  # MNIST: (B, 1, 28, 28) -> (B, 128, 7, 7)
        flat = channels * side * side
        self.feature_size = arch.body_fc or flat
        norm = [nn.BatchNorm1d(arch.body_fc)] if arch.dense_batch_norm else []
        self.fully_connected = (
            nn.Sequential(nn.Linear(flat, arch.body_fc), *norm, nn.LeakyReLU(leaky_slope))
            if arch.body_fc
            else nn.Identity()
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fully_connected(self.convs(images).flatten(1))  # (B, feature_size), MNIST (B, 1024)


class Discriminator(nn.Module):
    """D and Q on one shared body: images -> (real/fake logits (B,), Q output (B, q_size)).

    Q is a small head on D's body, so the information term costs almost nothing and, when
    it is in D's loss, trains the Q head and the shared body together.
    """

    def __init__(self, arch: Architecture, q_output_size: int, leaky_slope: float):
        super().__init__()
        self.body = DiscriminatorBody(arch, leaky_slope)
        features = self.body.feature_size
        self.d_head = nn.Linear(features, 1)
        hidden = arch.q_hidden or features
        q_layers: list[nn.Module] = []
        if arch.q_hidden:
            norm = [nn.BatchNorm1d(hidden)] if arch.dense_batch_norm else []
            q_layers += [nn.Linear(features, hidden), *norm, nn.LeakyReLU(leaky_slope)]
        q_layers.append(nn.Linear(hidden, max(q_output_size, 1)))
        self.q_head = nn.Sequential(*q_layers)

    def forward(self, images: torch.Tensor, detach_q: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``detach_q`` stops Q's gradient at the body (the plain-GAN baseline)."""
        features = self.body(images)  # (B, feature_size)
        real_logits = self.d_head(features).squeeze(1)  # (B,)
        q_output = self.q_head(features.detach() if detach_q else features)  # (B, q_size)
        return real_logits, q_output


def init_weights(module: nn.Module) -> None:
    """The authors' initialisation: weights ~ N(0, 0.02), biases 0, BN scale ~ N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_networks(
    arch: Architecture,
    generator_input_size: int,
    q_output_size: int,
    leaky_slope: float,
    weight_init: str = "normal",
) -> tuple[Generator, Discriminator]:
    """Fresh G and D/Q for an architecture and a latent spec's sizes.

    ``weight_init`` "normal": ``init_weights`` (the authors'); "pytorch": the layers' own
    defaults (Kaiming-uniform weights, BN scale 1).
    """
    generator = Generator(arch, generator_input_size)
    discriminator = Discriminator(arch, q_output_size, leaky_slope)
    if weight_init == "normal":
        generator.apply(init_weights)
        discriminator.apply(init_weights)
    elif weight_init != "pytorch":
        raise InfoganError(f"unknown weight initialisation {weight_init!r}; known: normal, pytorch")
    if arch.spectral_norm:  # after the initialisation, which must reach the unnormalised weights
        for layer in [module for module in discriminator.modules() if isinstance(module, (nn.Conv2d, nn.Linear))]:
            nn.utils.parametrizations.spectral_norm(layer)
    return generator, discriminator


MAX_TRAINING_BYTES = 16 * 2**30  # a latent spec whose layers alone would need more is refused


def check_model_size(config: TrainConfig) -> int:
    """Bytes the latent-dependent layers need in training (weights, gradients, two Adam moments,
    float32), refused above ``MAX_TRAINING_BYTES`` before anything is allocated; returns it.

    Only G's first layer (input = noise + codes) and Q's last layer (output = code parameters)
    grow with the latent spec; ``--noise 999999999`` would otherwise fail deep inside torch.
    """
    arch, latent = architecture_of(config), config.latent
    start_channels, start_side = arch.generator_start
    first_width = arch.generator_fc or start_channels * start_side * start_side
    last_side = arch.image_size
    for layer in arch.body_convs:
        last_side = _conv_side(last_side, layer)
    q_width = arch.q_hidden or arch.body_fc or arch.body_convs[-1].channels * last_side * last_side
    parameters = latent.generator_input_size * first_width + q_width * latent.q_output_size
    activations = config.batch_size * (latent.generator_input_size + latent.q_output_size) * 4
    needed = 16 * parameters + 4 * activations
    if needed > MAX_TRAINING_BYTES:
        raise InfoganError(
            f"this latent spec needs about {needed / 2**30:.1f} GiB for its first and last layers "
            f"alone (limit {MAX_TRAINING_BYTES // 2**30} GiB); use less noise or fewer categories"
        )
    return needed


def build_models(config: TrainConfig) -> tuple[Generator, Discriminator]:
    """Fresh G and D/Q for a config: its architecture, latent sizes, slope and initialisation."""
    check_model_size(config)
    arch, latent = architecture_of(config), config.latent
    return build_networks(
        arch, latent.generator_input_size, latent.q_output_size, config.leaky_slope, config.weight_init
    )
