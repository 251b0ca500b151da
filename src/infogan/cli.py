"""The ``infogan`` command: argument parsing only; the work happens in the library.

Every user error ends in one line on stderr, ``infogan: error: ...``, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

from infogan.errors import InfoganError, InfoganWarning


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InfoganError(message)


def _add_train(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a model (default: the paper's MNIST experiment)")
    train.add_argument("--preset", help="experiment preset: mnist (default), mnist-scaled, mnist-authors, mnist-paper")
    train.add_argument("--out", type=Path, help="run folder (default: runs/<preset>-seed<seed>)")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="number of D+G updates")
    length.add_argument("--epochs", type=float, help="passes over the training set instead of --steps")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--seed", type=int)
    train.add_argument("--device", choices=("auto", "cpu", "cuda"))
    train.add_argument("--codes", help="latent codes, e.g. cat:10,unif:2 (see README)")
    train.add_argument("--noise", help="noise, e.g. 62 or noise:62:dist=normal")
    train.add_argument("--mode", choices=("infogan", "plain"), help="plain: GAN baseline, Q measured only")
    train.add_argument("--lr-d", type=float, help="Adam learning rate of D and Q")
    train.add_argument("--lr-g", type=float, help="Adam learning rate of G")
    train.add_argument("--lr-q", type=float, help="Adam learning rate of Q's head (default: the preset's, else --lr-d)")
    train.add_argument("--fast-start", dest="fast_start_steps", type=int, metavar="STEPS",
                       help="train the first STEPS updates with --fast-start-lr-g / --fast-start-lr-q (0: off)")
    train.add_argument("--fast-start-lr-g", type=float, help="G's learning rate during the fast start")
    train.add_argument("--fast-start-lr-q", type=float, help="Q head's learning rate during the fast start")
    train.add_argument("--init", dest="weight_init", choices=("normal", "pytorch"),
                       help="weight initialisation: normal = N(0, 0.02) as in the authors' code, "
                            "pytorch = PyTorch's layer defaults (default: the preset's; mnist: pytorch)")
    train.add_argument("--reuse-fakes", action="store_const", const=True,
                       help="G step back-propagates through the D step's fakes (same latents; ~1.1x faster)")
    train.add_argument("--data-dir", help="folder with the dataset's files (default: bundled MNIST)")
    for name in ("log-every", "eval-every", "image-every", "checkpoint-every", "keep-checkpoints"):
        train.add_argument(f"--{name}", type=int)
    train.add_argument(
        "--resume", nargs="?", const=True, default=False, metavar="RUN_DIR",
        help="continue the run in --out (or in RUN_DIR) from its newest valid checkpoint",
    )
    train.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")
    train.add_argument(
        "--on-divergence", choices=("stop", "rollback"),
        help="on a NaN/inf loss: stop (default), or reload the last checkpoint with halved learning rates",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_inference(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser("evaluate", help="clustering accuracy, NMI, ARI, L_I and H(c) per code")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--data-dir", help="folder with the labelled test files")
    evaluate.add_argument("--samples", type=int, default=10000, help="generated samples for L_I")
    evaluate.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the generated samples")
    evaluate.add_argument("--no-attributes", action="store_true", help="skip slant/width of continuous codes")
    evaluate.add_argument("--no-fid", action="store_true",
                          help="skip digit FID and classifier accuracy (the first use trains and caches a small "
                               "MNIST classifier: a few minutes on a CPU)")
    evaluate.add_argument("--confusion-png", type=Path, metavar="FILE.png", help="write c1's confusion matrix")
    traverse = commands.add_parser("traverse", help="the paper's Figure 2 grids, one per continuous code")
    traverse.add_argument("run_dir", type=Path)
    traverse.add_argument("--out", type=Path, required=True, help="FILE.png; per-code grids go beside it")
    traverse.add_argument("--columns", type=int, default=10)
    traverse.add_argument("--seed", type=int, default=0)
    sample = commands.add_parser("sample", help="a grid of generated images with chosen codes")
    sample.add_argument("run_dir", type=Path, metavar="RUN_DIR|FILE.safetensors")
    sample.add_argument("--n", type=int, default=64, help="number of images")
    sample.add_argument("--out", type=Path, required=True, help="FILE.png")
    sample.add_argument("--code", action="append", default=[], metavar="NAME=VALUE", help="fix a code, e.g. c1=3")
    sample.add_argument("--seed", type=int, default=0)


def _add_bench(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="time full training steps: images/s, FLOPs, fraction of matmul peak")
    bench.add_argument("--preset", default="mnist")
    bench.add_argument("--batch-size", type=int, default=128)
    bench.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    bench.add_argument("--repeats", type=int, default=3)
    bench.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    bench.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--reuse-fakes", action="store_true", help="time steps as `train --reuse-fakes` takes them")
    bench.add_argument("--default-malloc", action="store_true",
                       help="leave glibc malloc's thresholds as they are (train raises them), to measure the difference")


def _run_bench(args: argparse.Namespace) -> None:
    from infogan.bench import run_benchmark
    from infogan.presets import get_preset

    if args.steps < 1 or args.repeats < 1 or args.warmup < 0:
        raise InfoganError("--steps and --repeats must be positive, --warmup not negative")
    config = get_preset(args.preset).with_changes(
        batch_size=args.batch_size, device=args.device, reuse_fakes=args.reuse_fakes
    )
    result = run_benchmark(config, args.steps, args.repeats, args.warmup, keep_memory=not args.default_malloc)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['images_per_s']:.1f} images/s ({result['ms_per_step']:.1f} ms/step, batch {result['batch_size']}, "
          f"{result['device']}, {result['threads']} threads)")
    print(f"{result['flops_per_step'] / 1e9:.2f} GFLOP/step = {result['achieved_flops_per_s'] / 1e9:.1f} GFLOP/s, "
          f"{100 * result['fraction_of_matmul_peak']:.0f}% of the measured float32 matmul rate "
          f"({result['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s); peak memory {result['peak_memory_mb']:.0f} MiB")
    kept = "kept" if result["keeps_freed_memory"] else "malloc default"
    print(f"{result['minor_page_faults_per_step']:.0f} minor page faults/step (freed memory {kept})")


def _add_export(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="the generator, its latent spec and config as one .safetensors file")
    export.add_argument("run_dir", type=Path)
    export.add_argument("--out", type=Path, required=True, help="FILE.safetensors")
    export.add_argument("--checkpoint", help="'best' (checkpoints/best.pt) or a checkpoint file (default: the newest)")


def _run_export(args: argparse.Namespace) -> None:
    from infogan.checkpoint import BEST_NAME
    from infogan.export import export_generator
    from infogan.run import CHECKPOINT_DIR, load_run

    checkpoint = args.run_dir / CHECKPOINT_DIR / BEST_NAME if args.checkpoint == "best" else args.checkpoint
    print(export_generator(load_run(args.run_dir, "cpu", checkpoint), args.out))


def _add_report(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="one self-contained HTML page: config, curves, grids, metrics")
    report.add_argument("run_dir", type=Path)
    report.add_argument("--out", type=Path, help="FILE.html (default: RUN_DIR/report.html)")
    report.add_argument("--evaluation", type=Path, metavar="FILE.json", help="use saved `evaluate --json` output")
    report.add_argument("--samples", type=int, default=10000, help="generated samples for L_I and FID")
    report.add_argument("--no-attributes", action="store_true", help="skip slant/width of continuous codes")
    report.add_argument("--no-fid", action="store_true", help="skip digit FID and classifier accuracy")
    report.add_argument("--data-dir", help="folder with the labelled test files")
    select = commands.add_parser("select", help="rank runs without labels by the invariance of a categorical code")
    select.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    select.add_argument("--code", help="categorical code to rank by (default: each run's first)")
    select.add_argument("--checkpoints", type=int, default=3, help="average over the newest K checkpoints")
    select.add_argument("--json", action="store_true", help="print one JSON object")
    select.add_argument("--data-dir", help="folder with the test images (labels are not used)")
    select.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    figure1 = commands.add_parser("figure1", help="the paper's Figure 1: L_I(c1) of InfoGAN vs a plain GAN")
    figure1.add_argument("infogan_run", type=Path)
    figure1.add_argument("plain_run", type=Path)
    figure1.add_argument("--out", type=Path, required=True, help="FILE.png")
    figure1.add_argument("--max-step", type=int, default=1000, help="last iteration plotted")
    figure1.add_argument("--json", action="store_true", help="print the curves' key numbers as one JSON object")


def _attribute_text(scores: dict) -> str:
    """``; Q recovers it: ..; slant rho .., width rho .. -> controls ..``, as far as measured."""
    text = ""
    if "reconstruction" in scores:
        measure = "accuracy" if scores["kind"] == "categorical" else "R^2"
        text += f"; Q recovers it: {measure} {scores['reconstruction']:.3f}"
    if "controls" in scores:
        rho = {key: "-" if scores[key] is None else f"{scores[key]:+.3f}" for key in ("slant_rho", "width_rho")}
        text += f"; slant rho {rho['slant_rho']}, width rho {rho['width_rho']} -> controls {scores['controls']}"
    return text


def _write_confusion_png(result: dict, path: Path | None) -> None:
    from infogan.report import save_confusion_png

    if path is None:
        return
    categorical = [(name, s) for name, s in result["codes"].items() if "confusion_matrix" in s]
    if not categorical:
        raise InfoganError("--confusion-png needs a run with a categorical code")
    name, scores = categorical[0]
    print(save_confusion_png(scores["confusion_matrix"], scores["confusion_rows"], path, f"{name} vs test labels"),
          file=sys.stderr)


def _run_report(args: argparse.Namespace) -> None:
    from infogan.report import write_report

    if args.samples < 2:
        raise InfoganError(f"--samples must be at least 2, got {args.samples}")
    evaluation = None
    if args.evaluation is not None:
        try:
            evaluation = json.loads(args.evaluation.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise InfoganError(f"cannot read evaluation {args.evaluation}: {error}") from None
    print(write_report(args.run_dir, args.out, evaluation, data_dir=args.data_dir, samples=args.samples,
                       attributes=not args.no_attributes, fid=not args.no_fid))


def _run_figure1(args: argparse.Namespace) -> None:
    from infogan.figure1 import figure1_summary, save_figure1, summary_line

    if args.max_step < 1:
        raise InfoganError(f"--max-step must be positive, got {args.max_step}")
    out = save_figure1(args.infogan_run, args.plain_run, args.out, args.max_step)
    summary = figure1_summary(args.infogan_run, args.plain_run, args.max_step)
    if args.json:
        print(json.dumps({"out": str(out), **summary}))
        return
    print(out)
    print(summary_line(summary))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="infogan", description="Train InfoGAN and measure what its codes learned.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(commands)
    _add_inference(commands)
    _add_export(commands)
    _add_bench(commands)
    _add_report(commands)
    return parser


def _train_config(args: argparse.Namespace, base):
    """``base`` (a preset, or a resumed run's saved config) with the command line's changes."""
    from infogan.data import load_dataset
    from infogan.latent import LatentSpec, parse_codes, parse_noise

    changes = {
        name: getattr(args, name)
        for name in ("batch_size", "seed", "device", "mode", "lr_d", "lr_g", "lr_q", "weight_init", "data_dir", "steps",
                     "log_every", "eval_every", "image_every", "checkpoint_every", "keep_checkpoints", "on_divergence",
                     "fast_start_steps", "fast_start_lr_g", "fast_start_lr_q", "reuse_fakes")
        if getattr(args, name) is not None
    }
    config = base.with_changes(**changes)
    if args.codes is not None or args.noise is not None:
        codes = parse_codes(args.codes) if args.codes is not None else config.latent.codes
        noise_text = args.noise if args.noise is not None else (args.codes or "")
        config = config.with_changes(latent=LatentSpec(parse_noise(noise_text, config.latent.noise), codes))
    if args.epochs is not None:
        if not math.isfinite(args.epochs) or args.epochs <= 0:
            raise InfoganError(f"epochs must be positive, got {args.epochs}")
        size = len(load_dataset(config.dataset, "train", config.data_dir).labels)
        config = config.with_changes(steps=max(1, round(args.epochs * size / config.batch_size)))
    return config


def _run_train(args: argparse.Namespace) -> None:
    from infogan.presets import get_preset
    from infogan.run import read_config
    from infogan.trainer import FIXED_ON_RESUME, train

    run_dir = args.out
    if isinstance(args.resume, str):
        if run_dir is not None and Path(args.resume) != run_dir:
            raise InfoganError("give the run folder once: --resume RUN_DIR or --out RUN_DIR --resume")
        run_dir = Path(args.resume)
    resume = args.resume is not False
    if resume and run_dir is None:
        raise InfoganError("--resume needs the run folder: --resume RUN_DIR or --out RUN_DIR --resume")
    if resume and args.overwrite:
        raise InfoganError("--resume and --overwrite contradict each other; choose one")
    if resume:
        saved = read_config(run_dir)
        if args.preset is not None and args.preset != saved.preset:
            raise InfoganError(f"{run_dir} was trained with preset {saved.preset!r}, not {args.preset!r}")
        for name in FIXED_ON_RESUME:  # the trainer refuses others; here they get the flag's name
            if getattr(args, name) is not None and getattr(args, name) != getattr(saved, name):
                flag = {"weight_init": "--init", "fast_start_steps": "--fast-start"}.get(name, f"--{name.replace('_', '-')}")
                raise InfoganError(f"{flag} cannot change when resuming ({run_dir} uses {getattr(saved, name)})")
        config = _train_config(args, saved)
    else:
        config = _train_config(args, get_preset(args.preset or "mnist"))
    run_dir = run_dir or Path("runs") / f"{config.preset}-seed{config.seed}"

    def announce(resolved, step: int) -> None:  # once the data, device and run folder are checked
        span = f"from step {step} to step {resolved.steps}" if step else f"for {resolved.steps} steps"
        print(f"infogan: training {resolved.preset} {span} in {run_dir}", file=sys.stderr)
        print(f"infogan: latent {resolved.latent.describe()}", file=sys.stderr)

    train(config, run_dir, resume=resume, overwrite=args.overwrite, progress=not args.no_progress, on_start=announce)
    _write_final_traversals(run_dir)
    print(f"infogan: done; evaluate with: infogan evaluate {run_dir}", file=sys.stderr)


def _write_final_traversals(run_dir: Path) -> None:
    from infogan.networks import get_architecture
    from infogan.run import load_run
    from infogan.viz import save_traversals

    run = load_run(run_dir)
    activation = get_architecture(run.config.architecture).output_activation
    save_traversals(run.generator, run.spec, run_dir / "traversal.png", seed=run.config.seed, output_activation=activation)


def _run_evaluate(args: argparse.Namespace) -> None:
    from infogan.evaluate.run_metrics import evaluate_run
    from infogan.run import load_run

    if args.samples < 1:
        raise InfoganError(f"--samples must be positive, got {args.samples}")
    result = evaluate_run(load_run(args.run_dir, args.device), args.data_dir, args.samples, args.seed,
                          attributes=not args.no_attributes, fid=not args.no_fid)
    _write_confusion_png(result, args.confusion_png)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"run {result['run']} at step {result['step']}")
    for name, scores in result["codes"].items():
        line = f"  {name:>6} ({scores['kind']}): L_I {scores['info_lower_bound_nats']:.3f} nats, H(c) {scores['entropy_nats']:.3f}"
        if "accuracy" in scores:
            line += (f"; accuracy {scores['accuracy']:.4f}, NMI {scores['nmi']:.4f}, ARI {scores['ari']:.4f}, "
                     f"label-free L_I on real images {scores['real_information_nats']:.3f} nats, "
                     f"label-free invariance {scores['invariance']:.3f}")
        print(line + _attribute_text(scores))
    quality = result.get("sample_quality")
    if quality:
        faithful = quality["classifier_accuracy_on_generated"]
        print(f"  digit FID {quality['digit_fid']:.2f} (small MNIST classifier, not Inception); generated digits "
              f"read as their category's digit: {'-' if faithful is None else f'{faithful:.4f}'}; "
              f"classifier test accuracy {quality['classifier_test_accuracy']:.4f}")


def _run_select(args: argparse.Namespace) -> None:
    from infogan.evaluate.selection import rank_runs

    ranking = rank_runs(args.run_dirs, args.code, args.data_dir, args.device, args.checkpoints)
    if args.json:
        print(json.dumps({"ranking": ranking, "pick": ranking[0]["run"]}, indent=2))
        return
    print("invariance  step  run (most invariant first; label-free; mean over the newest checkpoints)")
    for row in ranking:
        steps = ", ".join(f"{value:.3f} @{step}" for step, value in row["invariance_by_step"].items())
        print(f"{row['invariance']:10.4f} {row['step']:5d}  {row['run']} ({row['code']}: {steps})")
    print(f"pick: {ranking[0]['run']}")


def _run_traverse(args: argparse.Namespace) -> None:
    from infogan.networks import get_architecture
    from infogan.run import load_run
    from infogan.viz import save_traversals

    if args.columns < 2:
        raise InfoganError(f"--columns must be at least 2, got {args.columns}")
    run = load_run(args.run_dir)
    activation = get_architecture(run.config.architecture).output_activation
    for path in save_traversals(run.generator, run.spec, args.out, args.columns, args.seed, activation):
        print(path)


def parse_code_values(items: list[str], spec) -> dict[str, float | int]:
    """``["c1=3", "c2=-1.5"]`` -> {"c1": 3, "c2": -1.5}, checked against the spec."""
    values: dict[str, float | int] = {}
    for item in items:
        name, equals, raw = item.partition("=")
        if not equals:
            raise InfoganError(f"--code {item!r} must be NAME=VALUE, e.g. c1=3")
        code = spec.code(name.strip())
        try:
            value = int(raw) if code.is_categorical else float(raw)
        except ValueError:
            raise InfoganError(f"--code {item!r}: {raw!r} is not a {'category index' if code.is_categorical else 'number'}") from None
        if code.is_categorical and not 0 <= value < code.categories:
            raise InfoganError(f"--code {item!r}: category must be in 0..{code.categories - 1}")
        if not code.is_categorical and not math.isfinite(value):
            raise InfoganError(f"--code {item!r}: value must be finite")
        values[code.name] = value
    return values


def _run_sample(args: argparse.Namespace) -> None:
    from infogan.networks import get_architecture
    from infogan.run import load_run
    from infogan.viz import image_grid, save_png

    if args.n < 1 or args.n > 10000:
        raise InfoganError(f"--n must be between 1 and 10000, got {args.n}")
    if args.run_dir.suffix == ".safetensors":
        from infogan.export import load_exported

        run = load_exported(args.run_dir)
    else:
        run = load_run(args.run_dir)
    images = run.sample(args.n, args.seed, parse_code_values(args.code, run.spec))
    columns = math.ceil(math.sqrt(args.n))
    activation = get_architecture(run.config.architecture).output_activation
    print(save_png(image_grid(images, math.ceil(args.n / columns), columns, activation), args.out))


COMMANDS = {"report": _run_report, "figure1": _run_figure1, "bench": _run_bench, "train": _run_train, "evaluate": _run_evaluate, "traverse": _run_traverse, "sample": _run_sample,
            "export": _run_export, "select": _run_select}


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Our own warnings as one line, ``infogan: warning: ...``; others as Python prints them."""
    if issubclass(category, InfoganWarning):
        print(f"infogan: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``infogan`` console script; returns the exit status."""
    warnings.filterwarnings("ignore", category=UserWarning, module="torch")
    warnings.showwarning = _show_warning
    try:
        args = build_parser().parse_args(argv)
        COMMANDS[args.command](args)
    except InfoganError as error:
        print(f"infogan: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("infogan: interrupted; the last checkpoint is kept (continue with --resume)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
