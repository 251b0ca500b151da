"""Named experiment presets: the paper's settings as ``TrainConfig`` values.

``mnist-authors`` is the authors' released MNIST code where the paper text and code differ
(PAPER.md): z ~ Uniform(-1, 1) with 62 dims, c1 ~ Cat(10), c2, c3 ~ Uniform(-1, 1) with the
Gaussian posterior's std fixed at 1, lambda 1 for every code, D/Q lr 2e-4, G lr 1e-3,
Adam beta1 0.5, batch 128, 5,000 updates, weights drawn from N(0, 0.02). Every preset keeps
the paper text's leaky-ReLU slope 0.1 (the code has 0.01; 0.01 was not faster, README).

``mnist`` (the default) is ``mnist-authors`` with two measured changes, each chosen on three
seeds because it gave the higher c1 test accuracy on every seed at 1,500, 3,000 and 5,000
updates (figures and commands in the README):

- PyTorch's layer initialisation instead of N(0, 0.02) (``--init normal`` restores it):
  median accuracy 0.856 against 0.766 at 5,000 updates, L_I(c1) 2.05 nats by step 30
  instead of 1.32;
- D/Q learning rate 8e-4 instead of 2e-4 (``--lr-d 2e-4`` restores it; the paper itself uses
  8e-4 for D/Q in its 3D-faces lighting experiment): median accuracy 0.881 against 0.754 at
  1,500 updates, 0.947 against 0.817 at 3,000 and 0.955 against 0.856 at 5,000 (a fourth
  seed ended at 0.874: about one run in two stops near 0.87 with a style split).

``mnist-scaled`` is ``mnist`` with every code's columns of G's input multiplied by 3.16
(about sqrt 10; ``:scale=`` in the latent spec): the prior, Q and the objective are
unchanged. It is the one setting measured to meet both of the paper's MNIST figures on
three seeds: L_I(c1) >= 2.25 nats by update 200 (Figure 1) and a median c1 test accuracy
>= 0.95 at 5,000 updates (figures in the README). Scaling c1 alone reaches 2.25 as fast
but split digits by style on all three seeds; with c2 and c3 scaled too, c1 held digit
identity on two seeds of three (0.960, 0.961; the third ended at 0.872). Its two continuous
codes both learned slant, and a plain GAN with the same scales also clusters digits.

``mnist-paper`` is the paper text's variant (z ~ N(0, 1), learned posterior std, lambda 0.1
for the continuous codes)."""

from __future__ import annotations

from infogan.config import TrainConfig
from infogan.errors import InfoganError
from infogan.latent import LatentSpec, Noise, parse_codes

_AUTHORS = TrainConfig(
    preset="mnist-authors",
    latent=LatentSpec(Noise(62, "uniform"), parse_codes("cat:10,unif:2")),
    steps=5000,
    weight_init="normal",
    lr_d=2e-4,
)

_MNIST = _AUTHORS.with_changes(preset="mnist", weight_init="pytorch", lr_d=8e-4)

PRESETS: dict[str, TrainConfig] = {
    "mnist": _MNIST,
    "mnist-scaled": _MNIST.with_changes(
        preset="mnist-scaled",
        latent=LatentSpec(_MNIST.latent.noise, parse_codes("cat:10:scale=3.16,unif:2:scale=3.16")),
    ),
    "mnist-authors": _AUTHORS,
    "mnist-paper": _AUTHORS.with_changes(
        preset="mnist-paper",
        latent=LatentSpec(Noise(62, "normal"), parse_codes("cat:10,unif:2:lambda=0.1:qstd=learned")),
    ),
}


def get_preset(name: str) -> TrainConfig:
    """The preset's config; an unknown name is a one-line error listing the known ones."""
    if name not in PRESETS:
        raise InfoganError(f"unknown preset {name!r}; known presets: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]
