"""Spec strings for latent codes and code values, as the CLI and config files write them.

Codes (``parse_codes``), comma-separated items ``KIND:N[:key=value...]``::

    cat:10,unif:2                      one Cat(10) code, two Uniform(-1, 1) codes
    cat:10x4,gauss:4:qstd=learned      four Cat(10) codes, four N(0, 1) codes with learned std
    unif:1:lambda=0.1:low=-2:high=2    one Uniform(-2, 2) code with lambda 0.1
    cat:10:scale=3.16,unif:2           c1's one-hot enters G multiplied by 3.16
    noise:62:dist=normal               62 dims of N(0, 1) noise (``parse_noise``)

Code values (``parse_code_values``): ``["c1=3", "c2=-1.5"]``.

>>> from infogan.latent import LatentSpec, Noise
>>> spec = LatentSpec(Noise(62), parse_codes("cat:10,unif:2"))
>>> spec.generator_input_size, spec.q_output_size
(74, 12)
>>> parse_code_values(["c1=3", "c2=-1.5"], spec)
{'c1': 3, 'c2': -1.5}
"""

from __future__ import annotations

from infogan.errors import SpecError
from infogan.latent import Code, CodeKind, LatentSpec, Noise

KIND_ALIASES: dict[str, CodeKind] = {
    "cat": "categorical",
    "categorical": "categorical",
    "unif": "uniform",
    "uniform": "uniform",
    "gauss": "gaussian",
    "gaussian": "gaussian",
    "normal": "gaussian",
}
MAX_NOISE_DIGITS = 9  # noise dimensions below 10**9


def _parse_option(code_kind: CodeKind, key: str, raw: str, item: str) -> tuple[str, object]:
    """One ``key=value`` option of a code item, as a Code field and its value."""
    numeric = {"lambda": "weight", "low": "low", "high": "high", "mean": "mean", "std": "std", "scale": "input_scale"}
    try:
        if key in numeric:
            return numeric[key], float(raw)
        if key == "qstd" and code_kind != "categorical":
            if raw == "learned":
                return "learned_std", True
            return "posterior_std", float(raw)
        if key == "name":
            if not raw.isidentifier():
                raise SpecError(f"code name {raw!r} in {item!r} must be letters, digits or _")
            return "name", raw
    except ValueError:
        raise SpecError(f"option {key}={raw!r} in {item!r} is not a number") from None
    raise SpecError(f"unknown option {key!r} in {item!r} (lambda, low, high, mean, std, qstd, scale, name)")


def _parse_item(item: str, first_index: int) -> list[Code]:
    """One comma-separated item such as ``cat:10x2:lambda=1`` into its codes."""
    fields = item.split(":")
    head, options = fields[0], fields[2:]
    if len(fields) < 2 or not fields[1]:
        raise SpecError(f"code item {item!r} needs KIND:N, e.g. cat:10 or unif:2")
    kind = KIND_ALIASES.get(head.strip().lower())
    if kind is None:
        raise SpecError(f"unknown code kind {head!r} in {item!r} (use cat, unif or gauss)")
    size_text, _, repeat_text = fields[1].partition("x")
    try:
        size = int(size_text)
        repeat = int(repeat_text) if repeat_text else 1
    except ValueError:
        raise SpecError(f"{fields[1]!r} in {item!r} is not N or NxM with integers") from None
    if kind == "categorical":
        count, categories = repeat, size
    else:
        count, categories = size * repeat, 0
    if count < 1 or count > 1000:
        raise SpecError(f"code item {item!r} must give between 1 and 1000 codes")
    settings: dict[str, object] = {}
    for option in options:
        key, equals, raw = option.partition("=")
        if not equals:
            raise SpecError(f"option {option!r} in {item!r} must be key=value")
        field_name, value = _parse_option(kind, key.strip().lower(), raw.strip(), item)
        settings[field_name] = value
    if "name" in settings and count > 1:
        raise SpecError(f"name= in {item!r} names one code, but the item gives {count}")
    defaults = {"weight": 1.0}
    codes = []
    for offset in range(count):
        name = str(settings.get("name", f"c{first_index + offset}"))
        values = {**defaults, **{k: v for k, v in settings.items() if k != "name"}}
        codes.append(Code(name=name, kind=kind, categories=categories, **values))
    return codes


def parse_codes(text: str) -> tuple[Code, ...]:
    """Codes from a spec string such as ``cat:10,unif:2`` (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("code spec is empty: give e.g. cat:10,unif:2")
    codes: list[Code] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise SpecError(f"empty item in code spec {text!r}")
        if item.lower().startswith("noise"):
            continue
        codes.extend(_parse_item(item, len(codes) + 1))
    names = [code.name for code in codes]
    if len(set(names)) != len(names):
        raise SpecError(f"duplicate code names in {text!r}")
    return tuple(codes)


def _is_count(text: str) -> bool:
    """True for a plain ASCII integer such as ``62``; str.isdigit() alone accepts "²", which int() refuses."""
    text = text.strip()
    return text.isascii() and text.isdigit()


def parse_noise(text: str) -> Noise:
    """Noise from exactly one item: ``62``, ``noise:62`` or ``noise:62:dist=normal``."""
    fields = str(text).strip().split(":")
    if fields[0].strip().lower() == "noise":
        fields = fields[1:]
    if not fields or not _is_count(fields[0]) or len(fields[0].strip()) > MAX_NOISE_DIGITS:
        raise SpecError(f"noise {str(text)[:40]!r} must be a dimension below 10**9, e.g. 62 or noise:62:dist=normal")
    dist = "uniform"
    for option in fields[1:]:
        key, _, value = option.partition("=")
        if key.strip().lower() != "dist" or value.strip() not in ("uniform", "normal"):
            raise SpecError(f"noise option {option!r} must be dist=uniform or dist=normal")
        dist = value.strip()
    return Noise(int(fields[0]), dist)  # type: ignore[arg-type]


def noise_in_codes(text: str, default: Noise) -> Noise:
    """The ``noise:...`` item of a code spec such as ``noise:32,cat:10``, else ``default``."""
    items = [item for item in str(text).split(",") if item.strip().lower().startswith("noise")]
    if len(items) > 1:
        raise SpecError(f"code spec {text!r} gives the noise more than once")
    return parse_noise(items[0]) if items else default


def parse_latent(codes: str | None, noise: str | None, base: LatentSpec) -> LatentSpec:
    """``base`` with the codes of a ``--codes`` spec and the noise of ``--noise`` (or of a
    ``noise:`` item in the codes), each left as in ``base`` when not given."""
    new_codes = parse_codes(codes) if codes is not None else base.codes
    new_noise = parse_noise(noise) if noise is not None else noise_in_codes(codes or "", base.noise)
    return LatentSpec(new_noise, new_codes)


def parse_code_values(items: list[str], spec: LatentSpec) -> dict[str, float | int]:
    """``["c1=3", "c2=-1.5"]`` -> {"c1": 3, "c2": -1.5}, checked by ``LatentSpec.check_values``."""
    values: dict[str, object] = {}
    for item in items:
        name, equals, raw = item.partition("=")
        if not equals:
            raise SpecError(f"code value {item!r} must be NAME=VALUE, e.g. c1=3")
        code = spec.code(name.strip())
        try:
            values[code.name] = int(raw) if code.is_categorical else float(raw)
        except ValueError:
            kind = "a category index" if code.is_categorical else "a number"
            raise SpecError(f"code value {item!r}: {raw!r} is not {kind}") from None
    return spec.check_values(values)
