"""The training configuration: one frozen dataclass, validated on construction, saved as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Literal, get_args

from infogan.contrastive_schedule import parse_schedule
from infogan.errors import CheckpointError, InfoganError
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.precision import Precision

Mode = Literal["infogan", "plain"]
DeviceName = Literal["auto", "cpu", "cuda"]
DivergencePolicy = Literal["stop", "rollback"]
WeightInit = Literal["normal", "pytorch"]
MAX_SEED = 2**63 - 1
MAX_BATCH_SIZE = 65536
MAX_STEPS = 10**9
MAX_AUGMENT_SHIFT = 8  # pixels: a quarter of the smallest (28-pixel) architecture side, rounded down
# Fields that must be in a run's saved config.json: they fix what its checkpoints mean.
REQUIRED_SAVED = ("architecture", "dataset", "latent", "seed", "steps", "batch_size")
# A resume may not change these: the optimiser and data-order states were made with them.
FIXED_ON_RESUME = (
    "preset",
    "seed",
    "lr_d",
    "lr_g",
    "lr_q",
    "batch_size",
    "weight_init",
    "mode",
    "fast_start_steps",
    "fast_start_lr_g",
    "fast_start_lr_q",
    "reuse_fakes",
    "augment_shift",
    "cr_weight",
    "cr_schedule",
    "lr_cr",
)
FLAG_NAMES = {
    "weight_init": "--init",
    "fast_start_steps": "--fast-start",
    "batch_size": "--batch-size",
    "dataset": "--data",
    "image_size": "--resize",
}


def _flag(name: str) -> str:
    """The command-line name of a config field, without dashes: batch_size -> batch-size."""
    return FLAG_NAMES.get(name, name).lstrip("-").replace("_", "-")


_OPTIONAL = {"lr_q", "data_dir", "fast_start_lr_g", "fast_start_lr_q", "image_channels", "image_size"}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run computes.

    ``mode="plain"`` is the paper's Figure 1 baseline: lambda is 0 for G and D, and Q is
    trained beside them on detached features of the fakes so that L_I can still be measured.
    Learning rates are Adam's; ``steps`` counts updates of D and G (one batch each).
    ``lr_q`` is the learning rate of Q's own head (the layers after the shared body); ``None``
    gives it D's rate ``lr_d``, as in the authors' code, where one optimiser holds D and Q.
    ``on_divergence="rollback"``: on a NaN or infinite loss, reload the newest checkpoint,
    halve both learning rates and continue (at most ``rollback.MAX_ROLLBACKS`` times); ``"stop"``
    ends the run with a ``DivergenceError``, keeping the last good checkpoint.
    ``weight_init="normal"`` is the authors' N(0, 0.02) initialisation; ``"pytorch"`` keeps
    PyTorch's own layer defaults (see ``networks.init_weights``); the ``mnist`` preset
    uses ``"pytorch"`` (docs/results/mnist.md: it gave the better c1 on three seeds).
    ``fast_start_steps`` > 0 trains the first that many updates with G at
    ``fast_start_lr_g`` and Q's head at ``fast_start_lr_q`` (either ``None``: that network's
    usual rate), then drops to ``lr_g`` and ``lr_q`` for the rest of the run: codes become
    informative sooner (the paper's Figure 1) without keeping the fast rates that, run
    throughout, split digits by style (docs/results/mnist.md).
    ``reuse_fakes`` True makes the G update back-propagate through the D update's fakes
    (one G forward per step, the same latents for both updates, as most public
    implementations do) instead of drawing fresh latents as the authors' code does.
    ``augment_shift`` N > 0 shifts every image D and Q see, real and generated, by a random
    offset of up to N pixels (``infogan.augment``); 0, the default, shifts nothing.
    ``dataset`` is a named set (``mnist``, ``fashion-mnist``) or a path (docs/data.md);
    ``data_dir`` is where a named set's files are. ``architecture="auto"`` takes the
    appendix architecture that fits the data's images (resized first to ``image_size`` when
    set); ``image_channels`` overrides the architecture's channels (1 or 3).
    ``skip_bad_images`` leaves out image files that cannot be decoded instead of stopping.
    ``cr_weight`` > 0 adds InfoGAN-CR's contrastive regulariser (Lin et al., ICML 2020,
    arXiv 1906.06034; ``infogan.contrastive``) with weight alpha, following ``cr_schedule``
    (``infogan.contrastive_schedule``: ``constant`` or ``progressive:STEP[,STEP...]``); its
    network trains with Adam at ``lr_cr`` (2e-3 in the authors' code). 0, the default, is
    InfoGAN without it: no CR network, no extra random draws.
    ``precision`` runs the networks' passes in float32, or under bfloat16 / float16 autocast
    with the losses kept in float32 (``infogan.precision``); ``sync_bn`` normalises with the
    statistics of the global batch in a distributed run (``infogan.distributed``);
    ``compile`` runs the networks through ``torch.compile``; ``channels_last`` stores their
    convolution weights channels-last. None of these four changes what a checkpoint means.
    """

    preset: str = "mnist"
    dataset: str = "mnist"
    architecture: str = "mnist"
    latent: LatentSpec = field(default_factory=lambda: LatentSpec(Noise(62), parse_codes("cat:10,unif:2")))
    steps: int = 5000
    batch_size: int = 128
    lr_d: float = 2e-4
    lr_g: float = 1e-3
    lr_q: float | None = None
    beta1: float = 0.5
    beta2: float = 0.999
    leaky_slope: float = 0.1
    weight_init: WeightInit = "normal"
    mode: Mode = "infogan"
    seed: int = 0
    device: DeviceName = "auto"
    log_every: int = 10
    image_every: int = 500
    checkpoint_every: int = 500
    eval_every: int = 500
    keep_checkpoints: int = 3
    data_dir: str | None = None
    on_divergence: DivergencePolicy = "stop"
    fast_start_steps: int = 0
    fast_start_lr_g: float | None = None
    fast_start_lr_q: float | None = None
    reuse_fakes: bool = False
    augment_shift: int = 0
    image_channels: int | None = None
    image_size: int | None = None
    skip_bad_images: bool = False
    cr_weight: float = 0.0
    cr_schedule: str = "constant"
    lr_cr: float = 2e-3
    precision: Precision = "fp32"
    sync_bn: bool = False
    compile: bool = False
    channels_last: bool = False

    def __post_init__(self) -> None:
        self._check_types()
        positive = ("steps", "batch_size", "log_every", "image_every", "checkpoint_every", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) < 1:
                raise InfoganError(f"{_flag(name)} must be a positive integer, got {getattr(self, name)!r}")
        if self.batch_size < 2:
            raise InfoganError("batch-size must be at least 2 (batch norm needs two images per batch)")
        if self.batch_size > MAX_BATCH_SIZE:
            raise InfoganError(f"batch-size must be at most {MAX_BATCH_SIZE}, got {self.batch_size}")
        if self.steps > MAX_STEPS:
            raise InfoganError(f"steps must be at most {MAX_STEPS}, got {self.steps}")
        if self.eval_every < 0 or self.fast_start_steps < 0:
            name = "eval-every" if self.eval_every < 0 else "fast-start"
            raise InfoganError(f"{name} must be >= 0 (0 turns it off)")
        for name in ("lr_d", "lr_g", "lr_q", "fast_start_lr_g", "fast_start_lr_q", "lr_cr"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise InfoganError(f"{_flag(name)} must be a positive number, got {value!r}")
        if self.fast_start_steps == 0 and (self.fast_start_lr_g is not None or self.fast_start_lr_q is not None):
            raise InfoganError("fast-start-lr-g and fast-start-lr-q need --fast-start STEPS (> 0) to have any effect")
        for name in ("beta1", "beta2", "leaky_slope"):
            if not 0 <= getattr(self, name) < 1:
                raise InfoganError(f"{_flag(name)} must be in [0, 1), got {getattr(self, name)!r}")
        choices = {
            "weight_init": WeightInit,
            "mode": Mode,
            "device": DeviceName,
            "on_divergence": DivergencePolicy,
            "precision": Precision,
        }
        for name, kind in choices.items():
            if getattr(self, name) not in get_args(kind):
                raise InfoganError(
                    f"{_flag(name)} must be one of {', '.join(get_args(kind))}, got {getattr(self, name)!r}"
                )
        if self.image_channels not in (None, 1, 3):
            raise InfoganError(f"image channels must be 1 (grey) or 3 (RGB), got {self.image_channels}")
        if self.image_size not in (None, 28, 32, 64):
            raise InfoganError(f"resize must be 28, 32 or 64 (the architectures' sides), got {self.image_size}")
        if not 0 <= self.augment_shift <= MAX_AUGMENT_SHIFT:
            raise InfoganError(f"augment-shift must be 0 to {MAX_AUGMENT_SHIFT} pixels, got {self.augment_shift}")
        if not 0 <= self.seed <= MAX_SEED:
            raise InfoganError(f"seed must be an integer from 0 to 2**63 - 1, got {self.seed}")
        self._check_contrastive()

    def _check_contrastive(self) -> None:
        """The CR weight, its schedule and the codes it needs."""
        if not math.isfinite(self.cr_weight) or self.cr_weight < 0:
            raise InfoganError(f"cr-weight must be a number >= 0 (0 turns the regulariser off), got {self.cr_weight!r}")
        parse_schedule(self.cr_weight, self.cr_schedule)
        if self.cr_weight == 0 and self.cr_schedule != "constant":
            raise InfoganError(f"cr-schedule {self.cr_schedule} needs --cr-weight > 0 to have any effect")
        if self.cr_weight > 0 and len(self.latent.codes) < 2:
            raise InfoganError(
                f"cr-weight needs at least 2 codes (it predicts which code a pair shares), got {len(self.latent.codes)}"
            )
        if self.cr_weight > 0 and self.precision == "fp16":
            raise InfoganError("cr-weight runs in fp32 or bf16; fp16's loss scaling does not cover the CR step")

    def _check_types(self) -> None:
        """Every field of the type its annotation names (JSON and Python callers alike)."""
        for item in fields(self):
            value = getattr(self, item.name)
            expected = _FIELD_TYPES.get(item.name, str)
            if value is None and item.name in _OPTIONAL:
                continue
            if isinstance(value, bool) and expected is not bool:
                ok = False
            elif expected is float:
                ok = isinstance(value, (int, float))
            else:
                ok = isinstance(value, expected)
            if not ok:
                raise InfoganError(f"{_flag(item.name)} has the wrong type: {value!r}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["latent"] = self.latent.to_dict()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """A config from ``to_dict``'s form; missing keys take the defaults, unknown ones are refused."""
        if not isinstance(data, dict):
            raise InfoganError(f"a config must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InfoganError(f"unknown config keys: {', '.join(map(str, unknown))[:200]}")
        values = dict(data)
        if "latent" in values:
            values["latent"] = LatentSpec.from_dict(values["latent"])
        return cls(**values)

    @classmethod
    def from_saved(cls, data: object) -> TrainConfig:
        """A run's saved config: ``from_dict``, but the keys that fix a run's meaning must be there
        (an empty ``{}`` is not a run with default settings)."""
        if not isinstance(data, dict):
            raise InfoganError(f"a config must be a JSON object, got {type(data).__name__}")
        missing = [key for key in REQUIRED_SAVED if key not in data]
        if missing:
            raise InfoganError(f"the config lacks {', '.join(missing)}")
        return cls.from_dict(data)

    def check_resume(self, saved: TrainConfig, run_dir: object = "the run") -> None:
        """Refuse to continue ``saved`` with this config where a change would break the run."""
        if self.identity() != saved.identity():
            raise CheckpointError(
                f"{run_dir} was trained with another architecture, dataset or latent spec; resume it with "
                "its own settings (only steps, intervals, device and on-divergence may change)"
            )
        for name in FIXED_ON_RESUME:
            if getattr(self, name) != getattr(saved, name):
                raise CheckpointError(
                    f"--{_flag(name)} cannot change when resuming ({run_dir} uses "
                    f"{getattr(saved, name)}, not {getattr(self, name)})"
                )

    def with_changes(self, **changes: object) -> TrainConfig:
        """A copy with the given fields replaced (validated again)."""
        return replace(self, **changes)

    def identity(self) -> dict:
        """The fields that fix what a checkpoint's weights mean: a resume must not change them."""
        return {
            "architecture": self.architecture,
            "latent": self.latent.to_dict(),
            "dataset": self.dataset,
            "image_channels": self.image_channels,
        }


_FIELD_TYPES: dict[str, type] = {
    **{
        name: int
        for name in (
            "steps",
            "batch_size",
            "seed",
            "log_every",
            "image_every",
            "checkpoint_every",
            "eval_every",
            "keep_checkpoints",
            "fast_start_steps",
            "augment_shift",
            "image_channels",
            "image_size",
        )
    },
    **{
        name: float
        for name in (
            "lr_d",
            "lr_g",
            "lr_q",
            "beta1",
            "beta2",
            "leaky_slope",
            "fast_start_lr_g",
            "fast_start_lr_q",
            "cr_weight",
            "lr_cr",
        )
    },
    "latent": LatentSpec,
    "reuse_fakes": bool,
    "skip_bad_images": bool,
    "sync_bn": bool,
    "compile": bool,
    "channels_last": bool,
}
