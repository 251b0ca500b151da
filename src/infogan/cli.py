"""The ``infogan`` command: argument parsing and printing only; the work happens in the library.

Every user error ends in one line on stderr, ``infogan: error: ...``, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from infogan.cli_parser import TRAIN_FIELDS, build_parser
from infogan.errors import InfoganError, InfoganWarning


def _train_config(args: argparse.Namespace, run_dir: Path | None, resume: bool):
    """The preset (or, on resume, the run's saved config) with the command line's changes."""
    from infogan.latent_parsing import parse_latent
    from infogan.presets import get_preset
    from infogan.run_folder import read_config
    from infogan.trainer import steps_for_epochs

    changes = {name: getattr(args, name) for name in TRAIN_FIELDS if getattr(args, name) is not None}
    if resume:
        base = read_config(run_dir)
        if args.preset is not None:
            changes["preset"] = args.preset
    else:
        base = get_preset(args.preset or "mnist")
        if args.dataset is not None and args.preset is None:  # the data chooses the architecture
            changes.update(preset="custom", architecture="auto")
    config = base.with_changes(**changes)
    if args.codes is not None or args.noise is not None:
        config = config.with_changes(latent=parse_latent(args.codes, args.noise, config.latent))
    if args.epochs is not None:
        config = config.with_changes(steps=steps_for_epochs(config, args.epochs))
    return config


def _run_train(args: argparse.Namespace) -> None:
    from infogan.distributed import world_from_environment
    from infogan.trainer import train

    run_dir = args.out
    if isinstance(args.resume, str):
        if run_dir is not None and Path(args.resume) != run_dir:
            raise InfoganError("give the run folder once: --resume RUN_DIR or --out RUN_DIR --resume")
        run_dir = Path(args.resume)
    resume = args.resume is not False
    if resume and run_dir is None:
        raise InfoganError("--resume needs the run folder: --resume RUN_DIR or --out RUN_DIR --resume")
    config = _train_config(args, run_dir, resume)
    name = config.preset if config.preset != "custom" else Path(config.dataset.partition(".npz:")[0]).stem
    run_dir = run_dir or Path("runs") / f"{name}-seed{config.seed}"

    def announce(resolved, step: int) -> None:  # once the data, device and run folder are checked
        span = f"from step {step} to step {resolved.steps}" if step else f"for {resolved.steps} steps"
        print(f"infogan: training {resolved.preset} {span} in {run_dir}", file=sys.stderr)
        print(f"infogan: latent {resolved.latent.describe()}", file=sys.stderr)

    train(config, run_dir, resume=resume, overwrite=args.overwrite, progress=not args.no_progress, on_start=announce)
    if world_from_environment().is_writer:  # under torchrun, process 0 speaks for the run
        print(f"infogan: done; evaluate with: infogan evaluate {run_dir}", file=sys.stderr)


def _run_evaluate(args: argparse.Namespace) -> None:
    from infogan.evaluate.run_metrics import evaluate_run
    from infogan.files import check_output_file, write_text_atomic
    from infogan.loaded_run import load_run
    from infogan.report import save_confusion_png
    from infogan.run_folder import EVALUATION_FILE

    if args.confusion_png is not None:
        check_output_file(args.confusion_png, (".png",))
    result = evaluate_run(
        load_run(args.run_dir, args.device),
        args.data_dir,
        args.samples,
        args.seed,
        attributes=not args.no_attributes,
        fid=not args.no_fid,
        disentanglement=None if args.disentanglement == "off" else args.disentanglement,
    )
    if args.confusion_png is not None:
        print(save_confusion_png(result, args.confusion_png), file=sys.stderr)
    if args.save:
        print(write_text_atomic(args.run_dir / EVALUATION_FILE, json.dumps(result, indent=2) + "\n"), file=sys.stderr)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"run {result['run']} at step {result['step']}")
    for name, scores in result["codes"].items():
        print(f"  {name:>6} ({scores['kind']}): " + _code_line(scores))
    quality = result.get("sample_quality")
    if quality:
        faithful = quality["classifier_accuracy_on_generated"]
        print(
            f"  digit FID {quality['digit_fid']:.2f} (small MNIST classifier, not Inception); generated digits "
            f"read as their category's digit: {'-' if faithful is None else f'{faithful:.4f}'}; "
            f"classifier test accuracy {quality['classifier_test_accuracy']:.4f}"
        )
    _print_factors(result)


def _print_factors(result: dict) -> None:
    """The controlling code of each known factor, MIG, and the five sampled metrics, when measured."""
    factors = result.get("factors")
    if factors:
        pairs = factors["controls"].items()
        controls = ", ".join(f"{name} <- {best['code']} ({best['score']:.3f})" for name, best in pairs)
        mig = f"; MIG {factors['mig']:.3f}" if "mig" in factors else ""
        print(f"  factors on {factors['source']}: {controls}{mig}")
    sampled = result.get("disentanglement")
    if sampled:
        names = ("factor_vae", "beta_vae", "mig", "dci_disentanglement", "dci_completeness", "sap")
        print(f"  disentanglement ({sampled['sizes']} sizes): " + ", ".join(f"{n} {sampled[n]:.3f}" for n in names))


def _code_line(scores: dict) -> str:
    """One code's evaluation as one line, as far as it was measured."""
    line = f"L_I {scores['info_lower_bound_nats']:.3f} nats, H(c) {scores['entropy_nats']:.3f}"
    if "accuracy" in scores:
        line += f"; accuracy {scores['accuracy']:.4f}, NMI {scores['nmi']:.4f}, ARI {scores['ari']:.4f}"
    if "invariance" in scores:
        line += (
            f"; label-free L_I on real images {scores['real_information_nats']:.3f} nats, "
            f"label-free invariance {scores['invariance']:.3f}"
        )
    if "reconstruction" in scores:
        measure = "accuracy" if scores["kind"] == "categorical" else "R^2"
        line += f"; Q recovers it: {measure} {scores['reconstruction']:.3f}"
    if "factor" in scores:
        line += f"; best-matched factor {scores['factor']} ({scores['factor_score']:.3f})"
    if "controls" in scores:
        rho = {key: "-" if scores[key] is None else f"{scores[key]:+.3f}" for key in ("slant_rho", "width_rho")}
        line += f"; slant rho {rho['slant_rho']}, width rho {rho['width_rho']} -> controls {scores['controls']}"
    return line


def _run_traverse(args: argparse.Namespace) -> None:
    from infogan.files import check_output_file
    from infogan.loaded_run import load_run

    check_output_file(args.out, (".png",))
    for path in load_run(args.run_dir).traverse(args.out, args.columns, args.seed):
        print(path)


def _run_sample(args: argparse.Namespace) -> None:
    from infogan.export import load_exported
    from infogan.files import check_output_file
    from infogan.latent_parsing import parse_code_values
    from infogan.loaded_run import load_run
    from infogan.viz import MAX_GRID_IMAGES, save_image_grid

    if not 1 <= args.n <= MAX_GRID_IMAGES:
        raise InfoganError(f"--n must be between 1 and {MAX_GRID_IMAGES}, got {args.n}")
    check_output_file(args.out, (".png",))
    run = load_exported(args.run_dir) if args.run_dir.suffix == ".safetensors" else load_run(args.run_dir)
    images = run.sample(args.n, args.seed, parse_code_values(args.code, run.spec))
    print(save_image_grid(images, args.out, run.output_activation))


def _run_export(args: argparse.Namespace) -> None:
    from infogan.export import export_generator
    from infogan.files import check_output_file
    from infogan.loaded_run import load_run

    check_output_file(args.out, (".safetensors",), "export file")
    print(export_generator(load_run(args.run_dir, "cpu", args.checkpoint), args.out))


def _run_report(args: argparse.Namespace) -> None:
    from infogan.report import write_report

    print(
        write_report(
            args.run_dir,
            args.out,
            args.evaluation,
            data_dir=args.data_dir,
            samples=args.samples,
            attributes=not args.no_attributes,
            fid=not args.no_fid,
            disentanglement=None if args.disentanglement == "off" else args.disentanglement,
        )
    )


def _run_select(args: argparse.Namespace) -> None:
    from infogan.evaluate.selection import rank_runs

    if args.by == "centrality":
        _run_centrality(args)
        return
    ranking = rank_runs(args.run_dirs, args.code, args.data_dir, args.device, args.checkpoints)
    if args.json:
        print(json.dumps({"ranking": ranking, "pick": ranking[0]["run"]}, indent=2))
        return
    print("invariance  step  run (most invariant first; label-free; mean over the newest checkpoints)")
    for row in ranking:
        steps = ", ".join(f"{value:.3f} @{step}" for step, value in row["invariance_by_step"].items())
        print(f"{row['invariance']:10.4f} {row['step']:5d}  {row['run']} ({row['code']}: {steps})")
    print(f"pick: {ranking[0]['run']}")


def _run_centrality(args: argparse.Namespace) -> None:
    from infogan.evaluate.centrality import CentralitySizes, model_centrality

    sizes = CentralitySizes(args.vote_batch, args.votes, args.variance_samples, args.grid)
    ranking = model_centrality(args.run_dirs, args.device, args.seed, sizes)
    if args.json:
        print(json.dumps({"ranking": ranking, "pick": ranking[0]["run"]}, indent=2))
        return
    print("centrality  step  run (most central first; ModelCentrality, label-free)")
    for row in ranking:
        print(f"{row['centrality']:10.4f} {row['step']:5d}  {row['run']}")
    print(f"pick: {ranking[0]['run']}")


def _run_figure1(args: argparse.Namespace) -> None:
    from infogan.figure1 import figure1_summary, save_figure1, summary_line

    summary = figure1_summary(args.infogan_run, args.plain_run, args.max_step)
    out = save_figure1(args.infogan_run, args.plain_run, args.out, args.max_step)
    if args.json:
        print(json.dumps({"out": str(out), **summary}))
        return
    print(out)
    print(summary_line(summary))


def _run_bench(args: argparse.Namespace) -> None:
    from infogan.bench import run_benchmark
    from infogan.presets import get_preset

    preset = get_preset(args.preset or "mnist")
    config = preset.with_changes(
        batch_size=args.batch_size or preset.batch_size,  # the preset's batch and G update unless given
        device=args.device,
        reuse_fakes=args.reuse_fakes or preset.reuse_fakes,
        precision=args.precision,
        compile=args.compile,
        channels_last=args.channels_last,
    )
    if args.dataset is not None:
        auto = {"preset": "custom", "architecture": "auto"} if args.preset is None else {}
        config = config.with_changes(dataset=args.dataset, **auto)
    result = run_benchmark(config, args.steps, args.repeats, args.warmup)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['images_per_s']:.1f} images/s ({result['ms_per_step']:.1f} ms/step, batch {result['batch_size']}, "
        f"{result['device']}, {result['threads']} threads, {result['precision']})"
    )
    print(
        f"{result['flops_per_step'] / 1e9:.2f} GFLOP/step = {result['achieved_flops_per_s'] / 1e9:.1f} GFLOP/s, "
        f"{100 * result['fraction_of_matmul_peak']:.0f}% of the measured {result['precision']} matmul rate "
        f"({result['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s); peak memory {result['peak_memory_mb']:.0f} MiB"
    )


def _run_explore(args: argparse.Namespace) -> None:
    from infogan.explore import serve

    def ready(url: str) -> None:
        print(f"infogan: exploring {args.run_dir} at {url} (Ctrl-C stops)", file=sys.stderr, flush=True)

    serve(args.run_dir, args.host, args.port, open_browser=not args.no_browser, on_ready=ready)


COMMANDS = {
    "train": _run_train,
    "evaluate": _run_evaluate,
    "traverse": _run_traverse,
    "sample": _run_sample,
    "export": _run_export,
    "report": _run_report,
    "select": _run_select,
    "figure1": _run_figure1,
    "bench": _run_bench,
    "explore": _run_explore,
}


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
