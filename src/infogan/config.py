"""The training configuration: one frozen dataclass, validated on construction, saved as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Literal

from infogan.errors import InfoganError
from infogan.latent import LatentSpec, Noise, parse_codes

Mode = Literal["infogan", "plain"]
DeviceName = Literal["auto", "cpu", "cuda"]
DivergencePolicy = Literal["stop", "rollback"]
WeightInit = Literal["normal", "pytorch"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run computes.

    ``mode="plain"`` is the paper's Figure 1 baseline: lambda is 0 for G and D, and Q is
    trained beside them on detached features of the fakes so that L_I can still be measured.
    Learning rates are Adam's; ``steps`` counts updates of D and G (one batch each).
    ``lr_q`` is the learning rate of Q's own head (the layers after the shared body); ``None``
    gives it D's rate ``lr_d``, as in the authors' code, where one optimiser holds D and Q.
    ``on_divergence="rollback"``: on a NaN or infinite loss, reload the newest checkpoint,
    halve both learning rates and continue (at most ``trainer.MAX_ROLLBACKS`` times); ``"stop"``
    ends the run with a ``DivergenceError``, keeping the last good checkpoint.
    ``weight_init="normal"`` is the authors' N(0, 0.02) initialisation; ``"pytorch"`` keeps
    PyTorch's own layer defaults (see ``networks.init_weights``); the ``mnist`` preset
    uses ``"pytorch"`` (README: it gave the better c1 on three seeds).
    ``fast_start_steps`` > 0 trains the first that many updates with G at
    ``fast_start_lr_g`` and Q's head at ``fast_start_lr_q`` (either ``None``: that network's
    usual rate), then drops to ``lr_g`` and ``lr_q`` for the rest of the run: codes become
    informative sooner (the paper's Figure 1) without keeping the fast rates that, run
    throughout, split digits by style (README).
    ``reuse_fakes`` True makes the G update back-propagate through the D update's fakes
    (one G forward per step, the same latents for both updates, as most public
    implementations do) instead of drawing fresh latents as the authors' code does.
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

    def __post_init__(self) -> None:
        positive = ("steps", "batch_size", "log_every", "image_every", "checkpoint_every", "keep_checkpoints")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InfoganError(f"{name.replace('_', '-')} must be a positive integer, got {value!r}")
        if not isinstance(self.eval_every, int) or self.eval_every < 0:
            raise InfoganError(f"eval-every must be >= 0 (0 turns it off), got {self.eval_every!r}")
        for name in ("lr_d", "lr_g", "lr_q", "fast_start_lr_g", "fast_start_lr_q"):
            value = getattr(self, name)
            if name not in ("lr_d", "lr_g") and value is None:  # the usual rate applies
                continue
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise InfoganError(f"{name.replace('_', '-')} must be a positive number, got {value!r}")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise InfoganError(f"{name} must be in [0, 1), got {getattr(self, name)!r}")
        if not isinstance(self.fast_start_steps, int) or isinstance(self.fast_start_steps, bool) or self.fast_start_steps < 0:
            raise InfoganError(f"fast-start must be >= 0 steps (0 turns it off), got {self.fast_start_steps!r}")
        if not isinstance(self.reuse_fakes, bool):
            raise InfoganError(f"reuse-fakes must be true or false, got {self.reuse_fakes!r}")
        if not 0 <= self.leaky_slope < 1:
            raise InfoganError(f"leaky-slope must be in [0, 1), got {self.leaky_slope!r}")
        if self.weight_init not in ("normal", "pytorch"):
            raise InfoganError(f"init must be 'normal' or 'pytorch', got {self.weight_init!r}")
        if self.mode not in ("infogan", "plain"):
            raise InfoganError(f"mode must be 'infogan' or 'plain', got {self.mode!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise InfoganError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.on_divergence not in ("stop", "rollback"):
            raise InfoganError(f"on-divergence must be 'stop' or 'rollback', got {self.on_divergence!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise InfoganError(f"seed must be a non-negative integer, got {self.seed!r}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["latent"] = self.latent.to_dict()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InfoganError(f"unknown config keys: {', '.join(unknown)}")
        values = dict(data)
        if "latent" in values:
            values["latent"] = LatentSpec.from_dict(values["latent"])
        return cls(**values)

    def with_changes(self, **changes: object) -> TrainConfig:
        """A copy with the given fields replaced (validated again)."""
        return replace(self, **changes)

    def identity(self) -> dict:
        """The fields that fix what a checkpoint's weights mean: a resume must not change them."""
        return {"architecture": self.architecture, "latent": self.latent.to_dict(), "dataset": self.dataset}
