"""Latent codes as data: the one place that knows how codes are sampled, laid out and scored.

A ``LatentSpec`` holds the incompressible noise z and the codes c = (c1, ..., cL). From it
come a batch of samples from the prior P(z) P(c), the generator input, the size and layout
of Q's output, log Q(c|x) per code, the prior entropy H(c) per code and the variational
lower bound L_I = E[log Q(c|x)] + H(c) <= I(c; G(z, c)), all in nats. Spec strings such as
``cat:10,unif:2`` are read by ``infogan.latent_parsing``.

>>> spec = LatentSpec(Noise(62), (Code("c1", "categorical", categories=10), Code("c2", "uniform")))
>>> spec.generator_input_size, spec.q_output_size
(73, 11)
>>> round(spec.entropy_nats()["c1"], 3)
2.303
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F

from infogan.errors import SpecError

CodeKind = Literal["categorical", "uniform", "gaussian"]
LOG_STD_RANGE = (-6.0, 4.0)  # clamp for a learned posterior log-std, in log units


def _finite(value: float, what: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise SpecError(f"{what} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Noise:
    """Incompressible noise z: ``dim`` values from Uniform(-1, 1) or N(0, 1)."""

    dim: int = 62
    dist: Literal["uniform", "normal"] = "uniform"

    def __post_init__(self) -> None:
        if not isinstance(self.dim, int) or isinstance(self.dim, bool) or self.dim < 0:
            raise SpecError(f"noise dimension must be a non-negative integer, got {self.dim!r}")
        if self.dist not in ("uniform", "normal"):
            raise SpecError(f"noise distribution must be 'uniform' or 'normal', got {self.dist!r}")


@dataclass(frozen=True)
class Code:
    """One latent code with its prior, its weight lambda and its posterior family in Q.

    Categorical codes have a uniform prior over ``categories`` values. Continuous codes are
    Uniform(low, high) or N(mean, std); Q models them with a Gaussian whose std is either
    fixed (``posterior_std``, the authors' MNIST setting: 1.0) or learned (``learned_std``).
    ``input_scale`` multiplies the code's columns of the generator input (the one-hot, or
    the value): 1 is the paper's. It leaves the objective and the prior unchanged; it
    reparametrises G's first layer, so the code moves G's output sooner (preset
    ``mnist-scaled``; docs/results/mnist.md).
    """

    name: str
    kind: CodeKind
    categories: int = 0
    low: float = -1.0
    high: float = 1.0
    mean: float = 0.0
    std: float = 1.0
    weight: float = 1.0
    learned_std: bool = False
    posterior_std: float = 1.0
    input_scale: float = 1.0

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise SpecError(f"code name must be a non-empty string, got {self.name!r}")
        if self.kind not in ("categorical", "uniform", "gaussian"):
            raise SpecError(f"unknown code kind {self.kind!r} (use cat, unif or gauss)")
        if _finite(self.weight, f"lambda of {self.name}") < 0:
            raise SpecError(f"lambda of {self.name} must be >= 0, got {self.weight}")
        if self.kind == "categorical" and (not isinstance(self.categories, int) or self.categories < 2):
            raise SpecError(f"categorical code {self.name} needs at least 2 categories, got {self.categories!r}")
        if self.kind == "uniform" and _finite(self.low, "low") >= _finite(self.high, "high"):
            raise SpecError(f"uniform code {self.name} needs low < high, got {self.low} >= {self.high}")
        if self.kind == "gaussian":
            _finite(self.mean, "mean")
            if _finite(self.std, "std") <= 0:
                raise SpecError(f"gaussian code {self.name} needs std > 0, got {self.std}")
        if _finite(self.posterior_std, "posterior std") <= 0:
            raise SpecError(f"posterior std of {self.name} must be > 0, got {self.posterior_std}")
        if _finite(self.input_scale, "input scale") <= 0:
            raise SpecError(f"input scale of {self.name} must be > 0, got {self.input_scale}")

    @property
    def is_categorical(self) -> bool:
        return self.kind == "categorical"

    @property
    def input_size(self) -> int:
        """Columns this code takes in the generator input (one-hot for categorical)."""
        return self.categories if self.is_categorical else 1

    @property
    def q_size(self) -> int:
        """Columns this code takes in Q's output: logits, or mean (and log-std)."""
        if self.is_categorical:
            return self.categories
        return 2 if self.learned_std else 1

    def entropy_nats(self) -> float:
        """H(c) of the prior in nats (differential entropy for continuous codes)."""
        if self.kind == "categorical":
            return math.log(self.categories)
        if self.kind == "uniform":
            return math.log(self.high - self.low)
        return 0.5 * math.log(2 * math.pi * math.e * self.std**2)

    def sample(self, batch_size: int, rng: torch.Generator | None, device: torch.device) -> torch.Tensor:
        """Draw (B,) values: int64 category indices, or float32 code values."""
        if self.is_categorical:
            return torch.randint(self.categories, (batch_size,), generator=rng, device=device)
        unit = torch.rand if self.kind == "uniform" else torch.randn
        draws = unit(batch_size, generator=rng, device=device)
        if self.kind == "uniform":
            return self.low + (self.high - self.low) * draws
        return self.mean + self.std * draws

    def grid_values(self, size: int) -> torch.Tensor:
        """The values a code takes on a grid of ``size`` cells, float32 (size,) or int64 category indices.

        A categorical code's grid is its categories (``size`` must be ``categories``); a continuous
        code's is the midpoints of ``size`` equally likely cells of its prior: the quantiles
        (k + 1/2) / size, k = 0 .. size - 1 (for Uniform(low, high), evenly spaced cell centres).
        """
        if self.is_categorical:
            if size != self.categories:
                raise SpecError(
                    f"{self.name} is Cat({self.categories}): its grid has {self.categories} cells, not {size}"
                )
            return torch.arange(self.categories)
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise SpecError(f"a grid of a continuous code needs at least 2 cells, got {size!r}")
        quantiles = (torch.arange(size, dtype=torch.float64) + 0.5) / size
        if self.kind == "uniform":
            values = self.low + (self.high - self.low) * quantiles
        else:
            values = self.mean + self.std * math.sqrt(2) * torch.erfinv(2 * quantiles - 1)
        return values.to(torch.float32)

    def log_q(self, q_part: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """log Q(c|x) in nats, shape (B,), from this code's slice of Q's output (B, q_size)."""
        if self.is_categorical:
            # Cross-entropy on raw logits: log_softmax once, never a softmax before it.
            return -F.cross_entropy(q_part, values, reduction="none")
        posterior_mean = q_part[:, 0]
        if self.learned_std:
            log_std = q_part[:, 1].clamp(*LOG_STD_RANGE)
        else:
            log_std = torch.full_like(posterior_mean, math.log(self.posterior_std))
        # Gaussian log-density with the standard deviation (not the variance) in the scale.
        standardized = (values - posterior_mean) * torch.exp(-log_std)
        return -0.5 * standardized.square() - log_std - 0.5 * math.log(2 * math.pi)

    def describe(self) -> str:
        if self.is_categorical:
            prior = f"Cat({self.categories})"
        elif self.kind == "uniform":
            prior = f"Unif({self.low:g}, {self.high:g})"
        else:
            prior = f"N({self.mean:g}, {self.std:g}^2)"
        posterior = "learned std" if self.learned_std else f"std {self.posterior_std:g}"
        extra = "" if self.is_categorical else f", Q: Gaussian, {posterior}"
        if self.input_scale != 1:
            extra += f", x{self.input_scale:g} into G"
        return f"{self.name} ~ {prior}, lambda {self.weight:g}{extra}"


@dataclass
class LatentBatch:
    """A batch of latent draws: noise (B, noise_dim) and one (B,) tensor per code name."""

    noise: torch.Tensor
    codes: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.noise.shape[0]


@dataclass(frozen=True)
class LatentSpec:
    """Noise plus codes; the generator input is [z, code_1, ..., code_L] in that order."""

    noise: Noise
    codes: tuple[Code, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", tuple(self.codes))
        names = [code.name for code in self.codes]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise SpecError(f"duplicate code names: {', '.join(duplicates)}")
        if self.generator_input_size == 0:
            raise SpecError("the latent spec is empty: give noise or at least one code")

    @property
    def generator_input_size(self) -> int:
        return self.noise.dim + sum(code.input_size for code in self.codes)

    @property
    def q_output_size(self) -> int:
        return sum(code.q_size for code in self.codes)

    @property
    def categorical(self) -> tuple[Code, ...]:
        return tuple(code for code in self.codes if code.is_categorical)

    @property
    def continuous(self) -> tuple[Code, ...]:
        return tuple(code for code in self.codes if not code.is_categorical)

    def code(self, name: str) -> Code:
        """The code called ``name``; an unknown name raises ``SpecError`` listing the codes."""
        for code in self.codes:
            if code.name == name:
                return code
        raise SpecError(f"no code named {name!r}; codes are {', '.join(c.name for c in self.codes)}")

    def check_values(self, values: dict[str, object]) -> dict[str, float | int]:
        """Fixed code values checked against the spec: {name: category index or finite number}.

        A categorical code takes an integer in 0..k-1 (not 2.7, not True); a continuous code
        any finite number. Unknown names and wrong types raise ``SpecError``.
        """
        if not isinstance(values, dict):
            raise SpecError(f"code values must be a dict such as {{'c1': 3}}, got {type(values).__name__}")
        checked: dict[str, float | int] = {}
        for name, value in values.items():
            code = self.code(name)
            if code.is_categorical:
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < code.categories:
                    raise SpecError(
                        f"{name} is Cat({code.categories}): its value must be an integer in "
                        f"0..{code.categories - 1}, got {value!r}"
                    )
                checked[name] = int(value)
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise SpecError(f"{name} must be a finite number, got {value!r}")
                checked[name] = float(value)
        return checked

    def sample(
        self, batch_size: int, rng: torch.Generator | None = None, device: torch.device | str = "cpu"
    ) -> LatentBatch:
        """Draw B samples of z and every code from the prior."""
        device = torch.device(device)
        unit = torch.rand if self.noise.dist == "uniform" else torch.randn
        noise = unit(batch_size, self.noise.dim, generator=rng, device=device)
        if self.noise.dist == "uniform":
            noise = noise * 2 - 1
        codes = {code.name: code.sample(batch_size, rng, device) for code in self.codes}
        return LatentBatch(noise, codes)

    def sample_pairs(
        self, batch_size: int, rng: torch.Generator | None = None, device: torch.device | str = "cpu"
    ) -> tuple[LatentBatch, LatentBatch, torch.Tensor]:
        """B pairs of prior draws that share one code each: (first, second, shared (B,) int64 code indices).

        The contrastive regulariser's pairs (Lin et al., 2020, "InfoGAN-CR and ModelCentrality",
        arXiv 1906.06034): pair b shares the value of code ``codes[shared[b]]`` (chosen uniformly);
        its other codes are drawn independently for the two images, and its noise z is the same
        for both, as in the authors' code (github fjxmlzn/InfoGAN-CR, ``JointLatent.sample_cr``:
        the unregularised latents are drawn with ``sample_same``), so that the two images differ
        only through the codes that are not shared. Continuous codes share the exact value; the
        non-shared values are independent draws, with no minimum "gap" between them, as in the
        authors' dSprites configuration (InfoGAN-CR_dSprites/config.py: ``gap_start`` 0).
        """
        if len(self.codes) < 2:
            raise SpecError(f"pairs that share one code need at least 2 codes, the spec has {len(self.codes)}")
        device = torch.device(device)
        first, second = self.sample(batch_size, rng, device), self.sample(batch_size, rng, device)
        second.noise = first.noise.clone()
        shared = torch.randint(len(self.codes), (batch_size,), generator=rng, device=device)
        for index, code in enumerate(self.codes):
            rows = shared == index
            second.codes[code.name] = torch.where(rows, first.codes[code.name], second.codes[code.name])
        return first, second, shared

    def generator_input(self, batch: LatentBatch) -> torch.Tensor:
        """The generator's input (B, generator_input_size): z, one-hots and code values,
        each code's columns multiplied by its ``input_scale``."""
        columns = [batch.noise]
        for code in self.codes:
            values = batch.codes[code.name]
            if code.is_categorical:
                column = F.one_hot(values, code.categories).to(batch.noise.dtype)
            else:
                column = values.to(batch.noise.dtype).unsqueeze(1)
            columns.append(column if code.input_scale == 1 else column * code.input_scale)
        return torch.cat(columns, dim=1)

    def split_q_output(self, q_output: torch.Tensor) -> dict[str, torch.Tensor]:
        """Q's output (B, q_output_size) cut into one (B, q_size) slice per code."""
        parts = torch.split(q_output, [code.q_size for code in self.codes], dim=1)
        return {code.name: part for code, part in zip(self.codes, parts)}

    def log_q(self, q_output: torch.Tensor, batch: LatentBatch) -> dict[str, torch.Tensor]:
        """log Q(c_i|x) per code, each (B,), in nats."""
        parts = self.split_q_output(q_output)
        return {code.name: code.log_q(parts[code.name], batch.codes[code.name]) for code in self.codes}

    def entropy_nats(self) -> dict[str, float]:
        """H(c_i) of each code's prior, in nats."""
        return {code.name: code.entropy_nats() for code in self.codes}

    def info_lower_bound(self, q_output: torch.Tensor, batch: LatentBatch) -> dict[str, torch.Tensor]:
        """L_I per code = mean log Q(c_i|x) + H(c_i), scalar tensors in nats."""
        entropies = self.entropy_nats()
        return {name: log_q.mean() + entropies[name] for name, log_q in self.log_q(q_output, batch).items()}

    def posterior(self, q_output: torch.Tensor) -> dict[str, torch.Tensor]:
        """Q's posterior per code: (B, k) probabilities, or (B, 2) Gaussian [mean, std]."""
        result = {}
        for code, part in zip(self.codes, self.split_q_output(q_output).values()):
            if code.is_categorical:
                result[code.name] = part.softmax(dim=1)
            else:
                if code.learned_std:
                    std = part[:, 1].clamp(*LOG_STD_RANGE).exp()
                else:
                    std = torch.full_like(part[:, 0], code.posterior_std)
                result[code.name] = torch.stack([part[:, 0], std], dim=1)
        return result

    def describe(self) -> str:
        lines = [f"z: {self.noise.dim} x {self.noise.dist}"] + [code.describe() for code in self.codes]
        return "; ".join(lines)

    def to_dict(self) -> dict:
        return {"noise": asdict(self.noise), "codes": [asdict(code) for code in self.codes]}

    @classmethod
    def from_dict(cls, data: dict) -> LatentSpec:
        try:
            return cls(Noise(**data["noise"]), tuple(Code(**code) for code in data["codes"]))
        except (KeyError, TypeError) as error:
            raise SpecError(f"latent spec is malformed: {error}") from None
