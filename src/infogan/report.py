"""One self-contained HTML page per run: config, curves, traversals, metrics, confusion matrix.

Every image is inlined as a base64 PNG, so the file can be mailed or archived alone.
The metrics are ``evaluate_run``'s dict (computed here, or read from a saved JSON file).
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from infogan.errors import InfoganError
from infogan.evaluate.run_metrics import evaluate_run
from infogan.figure1 import figure_png_bytes, save_figure
from infogan.files import check_output_file, write_text_atomic
from infogan.loaded_run import LoadedRun, load_run
from infogan.run_folder import REPORT_FILE, read_metrics
from infogan.viz import png_bytes, traversal_grid

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; max-width: 100%; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; text-align: left; font-weight: normal; }
thead th { font-weight: 600; text-align: right; }
pre { background: #f7f7f7; padding: 0.8em; white-space: pre-wrap; word-break: break-all; font-size: 85%; }
img { image-rendering: pixelated; max-width: 100%; }
.grids { display: flex; flex-wrap: wrap; gap: 1.5em; }
.grids figure { margin: 0; }
.summary li { margin: 0.3em 0; }
code { background: #f0f0f0; padding: 0 0.3em; }
"""
# Readable row labels, with units, for evaluate_run's keys.
LABELS = {
    "kind": "prior",
    "entropy_nats": "H(c) of the prior [nats]",
    "info_lower_bound_nats": "L_I, lower bound on I(c; G(z, c)) [nats]",
    "reconstruction": "Q recovers c from G's images [accuracy, or R^2]",
    "accuracy": "test accuracy, categories matched to labels",
    "nmi": "NMI with the labels",
    "ari": "ARI with the labels",
    "test_images": "test images",
    "real_information_nats": "Q's information with real images [nats; label-free]",
    "invariance": "category kept under 1-2 px shifts [fraction; label-free]",
    "slant_rho": "Spearman rho with slant",
    "width_rho": "Spearman rho with stroke width",
    "controls": "controls",
    "slant_change_degrees": "slant change, c from -2 to 2 [degrees]",
    "width_change_px": "stroke width change, c from -2 to 2 [px]",
    "labels": "labels",
}


def confusion_figure(confusion: list[list[int]], rows: list[int], title: str = "") -> Figure:
    """A heat map of counts (categories x labels); row i is labelled with category ``rows[i]``."""
    counts = np.asarray(confusion)
    figure = Figure(figsize=(1.4 + 0.45 * counts.shape[1], 1.2 + 0.45 * counts.shape[0]), dpi=100)
    axes = figure.add_subplot()
    axes.imshow(counts, cmap="Blues")
    for (row, column), count in np.ndenumerate(counts):
        color = "white" if count > counts.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", fontsize=7, color=color)
    axes.set_xticks(range(counts.shape[1]))
    axes.set_yticks(range(counts.shape[0]), [str(category) for category in rows])
    axes.set_xlabel("true label")
    axes.set_ylabel("category (matched order)")
    axes.set_title(title)
    figure.tight_layout()
    return figure


def save_confusion_png(evaluation: dict, path: str | Path, code: str | None = None) -> Path:
    """Write the confusion matrix of a categorical code (default: the first) from ``evaluate_run``'s dict."""
    codes = check_evaluation(evaluation)["codes"]
    with_matrix = [name for name, scores in codes.items() if "confusion_matrix" in scores]
    name = code or (with_matrix[0] if with_matrix else None)
    if name not in with_matrix:
        raise InfoganError("a confusion matrix needs a categorical code evaluated on labelled images")
    scores = codes[name]
    return save_figure(
        confusion_figure(scores["confusion_matrix"], scores["confusion_rows"], f"{name} vs test labels"), path
    )


def curves_figure(
    records: list[dict], prefix: str, entropies: bool = False, y_label: str | None = None
) -> Figure | None:
    """Every ``prefix*`` series of the training records against step (with H(c) dashed); None if none."""
    keys = sorted({key for record in records for key in record if key.startswith(prefix)})
    if not keys:
        return None
    figure = Figure(figsize=(6, 3.5), dpi=100)
    axes = figure.add_subplot()
    for index, key in enumerate(keys):
        points = [(r["step"], r[key]) for r in records if key in r]
        color = f"C{index % 10}"
        axes.plot(*zip(*points), label=key, color=color, marker="." if len(points) < 30 else None)
        name = key[len(prefix) :]
        if entropies and f"entropy/{name}" in records[-1]:
            axes.axhline(records[-1][f"entropy/{name}"], color=color, linestyle="--", linewidth=0.8)
    axes.set_xlabel("iteration")
    axes.set_ylabel(y_label or ("nats" if entropies else "loss"))
    axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if value is None:
        return "-"
    return html.escape(str(value))


def _table(rows: list[dict], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _code_table(codes: dict[str, dict]) -> str:
    """One row per measure (readable label, units), one column per code: narrow at any code count."""
    keys = list(
        dict.fromkeys(k for scores in codes.values() for k, v in scores.items() if not isinstance(v, (dict, list)))
    )
    head = "<thead><tr><th></th>" + "".join(f"<th>{html.escape(name)}</th>" for name in codes) + "</tr></thead>"
    rows = "".join(
        f"<tr><th>{html.escape(LABELS.get(key, key))}</th>"
        + "".join(f"<td>{_cell(scores.get(key))}</td>" for scores in codes.values())
        + "</tr>"
        for key in keys
    )
    return f"<table>{head}{rows}</table>"


def _summary_section(run: LoadedRun, evaluation: dict) -> str:
    """What each code controls and the headline figures beside their targets, in a few lines."""
    items = []
    for name, scores in evaluation.get("codes", {}).items():
        line = f"<b>{html.escape(name)}</b> ({html.escape(str(scores.get('kind', '')))})"
        if isinstance(scores.get("accuracy"), (int, float)):
            line += (
                f": test accuracy <b>{scores['accuracy']:.3f}</b> (the paper: 0.95 on MNIST), "
                f"NMI {scores['nmi']:.3f}, ARI {scores['ari']:.3f}"
            )
        elif scores.get("controls") not in (None, "none"):
            rho = scores.get(f"{scores['controls']}_rho")
            line += f": controls <b>{html.escape(scores['controls'])}</b>" + (
                f" (Spearman rho {rho:+.2f})" if isinstance(rho, (int, float)) else ""
            )
        elif "controls" in scores:
            line += ": controls neither slant nor stroke width (|rho| below 0.5)"
        if isinstance(scores.get("info_lower_bound_nats"), (int, float)):
            line += (
                f"; L_I {scores['info_lower_bound_nats']:.3f} of H(c) = "
                f"{scores.get('entropy_nats', float('nan')):.3f} nats"
            )
        items.append(f"<li>{line}</li>")
    explore = (
        f"<p>Explore it live: run <code>infogan explore {html.escape(str(run.run_dir))}</code>, then open "
        '<a href="http://localhost:8765/">the explorer</a>.</p>'
    )
    return '<h2>Summary</h2><ul class="summary">' + "".join(items) + "</ul>" + explore


def _factors_section(evaluation: dict) -> list[str]:
    """The code x factor matrix (rows: codes), the controlling code per factor, and the sampled metrics."""
    parts = []
    factors = evaluation.get("factors")
    if factors:
        names = list(next(iter(factors["matrix"].values()), {}))
        rows = [{"code": code, **row} for code, row in factors["matrix"].items()]
        rows.append({"code": "controlled by", **{name: factors["controls"][name]["code"] for name in names}})
        if "mig_per_factor" in factors:
            rows.append({"code": "MIG gap", **factors["mig_per_factor"]})
        parts += [
            f"<h3>Codes against the known factors, on {html.escape(factors['source'])}</h3>",
            "<p>NMI for categorical codes or factors, |Spearman rho| for ordinal factors, circular-linear "
            f"correlation for angles (docs/metrics.md); MIG {_cell(factors.get('mig'))}.</p>",
            _table(rows, ["code", *names]),
        ]
    sampled = evaluation.get("disentanglement")
    if sampled:
        sizes = sampled["sizes"] if isinstance(sampled["sizes"], str) else "custom"
        scores = {key: value for key, value in sampled.items() if key != "sizes"}
        heading = f"<h3>Disentanglement metrics ({html.escape(sizes)} sample sizes)</h3>"
        parts += [heading, _table([scores], list(scores))]
    return parts


def _metrics_section(evaluation: dict) -> str:
    """The evaluation's numbers (measures by codes), known factors, sample quality and the confusion matrices."""
    codes = evaluation.get("codes", {})
    parts = [f"<h2>Metrics at step {_cell(evaluation.get('step'))}</h2>", _code_table(codes)]
    parts += _factors_section(evaluation)
    quality = evaluation.get("sample_quality")
    if quality:
        parts += [
            "<h3>Sample quality (digit classifier features, not Inception FID)</h3>",
            _table([quality], list(quality)),
        ]
    for name, scores in codes.items():
        if "confusion_matrix" in scores:
            figure = confusion_figure(scores["confusion_matrix"], scores["confusion_rows"], f"{name} vs test labels")
            parts += [f"<h3>Confusion matrix of {html.escape(name)}</h3>", _img(figure_png_bytes(figure), name)]
    return "\n".join(parts)


def _matched_factor(evaluation: dict, code: str) -> str:
    """ "; best-matched factor: F (score)" for a code with known-factor scores, else ""."""
    scores = evaluation.get("codes", {}).get(code, {})
    if "factor" not in scores:
        return ""
    return f"; best-matched factor: {scores['factor']} ({scores['factor_score']:.2f})"


def _traversals_section(run: LoadedRun, evaluation: dict) -> str:
    """The c1 grid (rows = categories, columns = noise) and one sweep grid per continuous code, each
    captioned with its best-matched known factor where the data has factors."""
    activation, seed = run.output_activation, run.config.seed
    parts = ["<h2>Traversals</h2>", '<div class="grids">']
    first = run.spec.categorical[0].name if run.spec.categorical else "noise"
    grids = [(f"{first}: one row per category, columns are noise draws" + _matched_factor(evaluation, first), None)]
    grids += [
        (f"{code.name} from -2 to 2 along each row" + _matched_factor(evaluation, code.name), code.name)
        for code in run.spec.continuous
    ]
    for caption, name in grids:
        grid = traversal_grid(run.generator, run.spec, name, seed=seed, output_activation=activation)
        parts.append(
            f"<figure><figcaption>{html.escape(caption)}</figcaption>{_img(png_bytes(grid), caption)}</figure>"
        )
    return "\n".join(parts + ["</div>"])


def _curves_section(run_dir: Path) -> str:
    records = read_metrics(run_dir, "train")
    parts = ["<h2>Training curves</h2>"]
    for title, prefix, entropies in (("Losses", "loss/", False), ("L_I per code (dashed: H(c))", "info/", True)):
        figure = curves_figure(records, prefix, entropies)
        parts.append(f"<h3>{title}</h3>" + (_img(figure_png_bytes(figure), title) if figure else "<p>no records</p>"))
    evaluations = read_metrics(run_dir, "eval")
    figure = curves_figure(evaluations, "eval/", y_label="score on the test set") if evaluations else None
    if figure:
        title = "Test-set scores during training (accuracy, NMI, ARI; invariance is label-free)"
        parts.append(f"<h3>{title}</h3>" + _img(figure_png_bytes(figure), title))
    return "\n".join(parts)


def build_report(run: LoadedRun, evaluation: dict) -> str:
    """The HTML text of a run's report, given ``evaluate_run``'s dict for it."""
    title = f"infogan run {run.run_dir} at step {run.step}"
    config_text = html.escape(run.config.to_json())
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{STYLE}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>Latent: {html.escape(run.spec.describe())}</p>",
            _summary_section(run, evaluation),
            _traversals_section(run, evaluation),
            _metrics_section(evaluation),
            _curves_section(Path(run.run_dir)),
            f"<h2>Configuration</h2><details><summary>config.json</summary><pre>{config_text}</pre></details>",
            "<h2>Evaluation JSON</h2><details><summary>evaluate --json</summary>"
            f"<pre>{html.escape(json.dumps(evaluation, indent=1))}</pre></details>",
            "</body></html>",
        ]
    )


def read_evaluation(path: str | Path) -> dict:
    """A saved ``infogan evaluate --json`` file, checked to have ``evaluate_run``'s shape."""
    try:
        evaluation = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise InfoganError(f"cannot read evaluation {path} ({reason})") from None
    return check_evaluation(evaluation, str(path))


def check_evaluation(evaluation: object, source: str = "the evaluation") -> dict:
    """``evaluation`` if it is shaped like ``evaluate_run``'s dict, else an ``InfoganError``."""
    codes = evaluation.get("codes") if isinstance(evaluation, dict) else None
    if not isinstance(codes, dict) or not all(isinstance(scores, dict) for scores in codes.values()):
        raise InfoganError(f'{source} is not `infogan evaluate --json` output (needs "codes": {{name: {{...}}}})')
    quality = evaluation.get("sample_quality")
    if quality is not None and not isinstance(quality, dict):
        raise InfoganError(f'{source}: "sample_quality" must be an object')
    try:
        _factors_section(evaluation)
    except (KeyError, TypeError, AttributeError, ValueError, StopIteration):
        raise InfoganError(f'{source}: "factors" or "disentanglement" is not shaped as evaluate writes it') from None
    return evaluation


def write_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    evaluation: dict | str | Path | None = None,
    device: str = "cpu",
    **evaluate_options: object,
) -> Path:
    """Write RUN_DIR's HTML report to ``out`` (default RUN_DIR/report.html); returns the path.

    ``evaluation``: ``evaluate_run``'s dict, or the path of a saved ``evaluate --json`` file;
    without it, ``evaluate_run(run, **evaluate_options)`` is computed here.
    """
    out = check_output_file(out if out is not None else Path(run_dir) / REPORT_FILE, (".html", ".htm"), "report file")
    if isinstance(evaluation, (str, Path)):
        evaluation = read_evaluation(evaluation)
    elif evaluation is not None:
        evaluation = check_evaluation(evaluation)
    run = load_run(run_dir, device)
    evaluation = evaluation if evaluation is not None else evaluate_run(run, **evaluate_options)
    return write_text_atomic(out, build_report(run, evaluation))
