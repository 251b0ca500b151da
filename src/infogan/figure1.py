"""The paper's Figure 1: L_I of the first categorical code against iteration, InfoGAN vs plain GAN.

Both curves come from the runs' ``metrics.jsonl`` ("kind": "train" records with "step",
"info/<code>" and "entropy/<code>", nats); H(c) is drawn as a horizontal line. Plots use
matplotlib's object API (``Figure``, rendered by the Agg canvas), never pyplot's global state.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from infogan.errors import InfoganError
from infogan.files import check_output_file, write_atomic
from infogan.run_folder import read_config, read_metrics


def figure_png_bytes(figure: Figure) -> bytes:
    """The figure rendered as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write the figure as a PNG file, atomically; the path must end in .png."""
    path = check_output_file(path, (".png",))
    data = figure_png_bytes(figure)
    write_atomic(path, lambda stream: stream.write(data))
    return path


def info_curve(
    run_dir: str | Path, code: str | None = None, max_step: int | None = None
) -> tuple[str, list[int], list[float], float]:
    """(code, steps, L_I in nats, H(c) in nats) of a run's training log, up to ``max_step``.

    ``code`` defaults to the run's first categorical code.
    """
    if code is None:
        categorical = read_config(run_dir).latent.categorical
        if not categorical:
            raise InfoganError(f"{run_dir} has no categorical code; name a code")
        code = categorical[0].name
    records = [r for r in read_metrics(run_dir, "train") if f"info/{code}" in r]
    records = [r for r in records if max_step is None or r["step"] <= max_step]
    if not records:
        raise InfoganError(f"{run_dir} has no training records of info/{code} in its metrics.jsonl")
    steps = [int(r["step"]) for r in records]
    return code, steps, [float(r[f"info/{code}"]) for r in records], float(records[-1][f"entropy/{code}"])


def figure1(infogan_run: str | Path, plain_run: str | Path, max_step: int | None = 1000) -> Figure:
    """Figure 1: L_I(c1) of an InfoGAN run and of a plain-GAN run against iteration, with H(c1)."""
    code, steps, info, entropy = info_curve(infogan_run, max_step=max_step)
    _, plain_steps, plain_info, _ = info_curve(plain_run, code, max_step)
    figure = Figure(figsize=(6, 4), dpi=100)
    axes = figure.add_subplot()
    axes.plot(steps, info, label="InfoGAN", color="tab:blue")
    axes.plot(plain_steps, plain_info, label="GAN (Q measured only)", color="tab:orange")
    axes.axhline(entropy, color="gray", linestyle="--", label=f"H({code}) = {entropy:.3f}")
    axes.set_xlabel("iteration")
    axes.set_ylabel(f"L_I({code}) [nats]")
    axes.set_title(f"Lower bound L_I of {code} during training")
    axes.legend(loc="center right")
    figure.tight_layout()
    return figure


def _value_at(steps: list[int], values: list[float], step: int) -> float | None:
    """The value logged at the first step >= ``step`` (None if the log ends before it)."""
    return next((value for at, value in zip(steps, values) if at >= step), None)


def figure1_summary(
    infogan_run: str | Path, plain_run: str | Path, max_step: int = 1000, threshold: float = 2.25
) -> dict:
    """The numbers Figure 1 is read for, in nats: InfoGAN's L_I at steps 30, 100 and 200,
    the first logged step at or above ``threshold``, its minimum from step 500 to ``max_step``
    (the paper: it stays at 2.25-2.30), and the plain GAN's peak, the step it peaks at and its
    maximum from step 500 on."""
    code, steps, info, entropy = info_curve(infogan_run, max_step=max_step)
    _, plain_steps, plain_info, _ = info_curve(plain_run, code, max_step)
    late = [value for step, value in zip(steps, info) if step >= 500]
    peak = max(range(len(plain_info)), key=plain_info.__getitem__)
    return {
        "code": code,
        "entropy_nats": entropy,
        "infogan": {
            **{f"step_{step}": _value_at(steps, info, step) for step in (30, 100, 200)},
            "first_step_at_or_above": next((step for step, value in zip(steps, info) if value >= threshold), None),
            "threshold": threshold,
            "min_from_step_500": min(late) if late else None,
        },
        "plain": {
            "peak": plain_info[peak],
            "peak_step": plain_steps[peak],
            "max_from_step_500": max((v for step, v in zip(plain_steps, plain_info) if step >= 500), default=None),
        },
    }


def summary_line(summary: dict) -> str:
    """``figure1_summary`` as one readable line."""
    info, plain = summary["infogan"], summary["plain"]
    early = " / ".join("-" if info[f"step_{s}"] is None else f"{info[f'step_{s}']:.3f}" for s in (30, 100, 200))
    late = "" if info["min_from_step_500"] is None else f"lowest from step 500 on {info['min_from_step_500']:.3f}; "
    plain_late = (
        "" if plain["max_from_step_500"] is None else f", highest from step 500 on {plain['max_from_step_500']:.3f}"
    )
    return (
        f"InfoGAN L_I({summary['code']}) at steps 30/100/200: {early} nats; first >= {info['threshold']} at "
        f"step {info['first_step_at_or_above']}; {late}plain GAN peak {plain['peak']:.3f} at step "
        f"{plain['peak_step']}{plain_late} (H = {summary['entropy_nats']:.3f})"
    )


def save_figure1(infogan_run: str | Path, plain_run: str | Path, out: str | Path, max_step: int | None = 1000) -> Path:
    """Write Figure 1 of the two runs to ``out`` (a .png path)."""
    return save_figure(figure1(infogan_run, plain_run, max_step), out)
