"""The ``infogan`` command's arguments: one parser per command, nothing else.

Every option's meaning is in docs/cli.md; ``infogan.cli`` runs the commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from infogan.errors import InfoganError

TRAIN_FIELDS = (
    "batch_size", "seed", "device", "mode", "lr_d", "lr_g", "lr_q", "weight_init", "data_dir", "steps", "log_every",
    "eval_every", "image_every", "checkpoint_every", "keep_checkpoints", "on_divergence", "fast_start_steps",
    "fast_start_lr_g", "fast_start_lr_q", "reuse_fakes", "augment_shift", "dataset", "image_size", "skip_bad_images",
    "cr_weight", "cr_schedule", "lr_cr", "precision", "sync_bn", "compile", "channels_last",
)  # fmt: skip


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InfoganError(message)


def _add_train(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a model (default: the paper's MNIST experiment)")
    train.add_argument(
        "--preset",
        help="experiment preset: mnist (default), mnist-scaled, mnist-authors, mnist-paper, "
        "fashion-mnist, svhn, svhn-like, celeba, faces3d, chairs3d",
    )
    train.add_argument("--out", type=Path, help="run folder (default: runs/<preset>-seed<seed>)")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="number of D+G updates")
    length.add_argument("--epochs", type=float, help="passes over the training set instead of --steps")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--seed", type=int)
    train.add_argument("--device", choices=("auto", "cpu", "cuda"))
    train.add_argument("--codes", help="latent codes, e.g. cat:10,unif:2 (docs/cli.md)")
    train.add_argument("--noise", help="noise, e.g. 62 or noise:62:dist=normal")
    train.add_argument("--mode", choices=("infogan", "plain"), help="plain: GAN baseline, Q measured only")
    train.add_argument("--lr-d", type=float, help="Adam learning rate of D and Q")
    train.add_argument("--lr-g", type=float, help="Adam learning rate of G")
    train.add_argument("--lr-q", type=float, help="Adam learning rate of Q's head (default: --lr-d)")
    train.add_argument(
        "--fast-start",
        dest="fast_start_steps",
        type=int,
        metavar="STEPS",
        help="train the first STEPS updates with --fast-start-lr-g / --fast-start-lr-q (0: off)",
    )
    train.add_argument("--fast-start-lr-g", type=float, help="G's learning rate during the fast start")
    train.add_argument("--fast-start-lr-q", type=float, help="Q head's learning rate during the fast start")
    train.add_argument(
        "--cr-weight", type=float, help="InfoGAN-CR's contrastive regulariser with this weight alpha (0: off)"
    )
    train.add_argument(
        "--cr-schedule", help="alpha over the run: constant, or progressive:STEP[,STEP...] (0 before, rising at each)"
    )
    train.add_argument("--lr-cr", type=float, help="Adam learning rate of the contrastive network (default 2e-3)")
    train.add_argument(
        "--init",
        dest="weight_init",
        choices=("normal", "pytorch"),
        help="weight initialisation: normal = N(0, 0.02) as in the authors' code, "
        "pytorch = PyTorch's layer defaults (default: the preset's)",
    )
    train.add_argument(
        "--reuse-fakes",
        action="store_const",
        const=True,
        help="G step back-propagates through the D step's fakes (same latents; one G forward)",
    )
    train.add_argument(
        "--augment-shift",
        type=int,
        metavar="PIXELS",
        help="shift every image D and Q see, real and generated, by up to PIXELS (default 0: off)",
    )
    train.add_argument(
        "--data",
        dest="dataset",
        metavar="PATH_OR_NAME",
        help="mnist, fashion-mnist, an image folder, an MNIST-format IDX folder, FILE.npz[:X,Y], "
        "FILE.npy, SVHN .mat, or a CelebA folder (docs/data.md)",
    )
    train.add_argument(
        "--data-dir", help="where a named set's files are (default: bundled MNIST, Debian's Fashion-MNIST)"
    )
    train.add_argument(
        "--resize",
        dest="image_size",
        type=int,
        choices=(28, 32, 64),
        help="scale and centre-crop images to this side before choosing the architecture",
    )
    train.add_argument(
        "--skip-bad-images",
        action="store_const",
        const=True,
        help="leave out images that cannot be decoded (counted and reported) instead of stopping",
    )
    for name in ("log-every", "eval-every", "image-every", "checkpoint-every", "keep-checkpoints"):
        train.add_argument(f"--{name}", type=int)
    train.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=False,
        metavar="RUN_DIR",
        help="continue the run in --out (or in RUN_DIR) from its newest valid checkpoint",
    )
    train.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")
    train.add_argument(
        "--on-divergence",
        choices=("stop", "rollback"),
        help="on a NaN/inf loss: stop (default), or reload the last checkpoint with halved learning rates",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_speed_options(train, default=None)


def _add_speed_options(parser: argparse.ArgumentParser, default: object) -> None:
    """--precision, --compile, --channels-last (train and bench) and --sync-bn (train)."""
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16", "fp16"),
        default=None if default is None else "fp32",
        help="networks' passes in float32 (default) or under bf16/fp16 autocast; losses stay float32",
    )
    flag = {"action": "store_const", "const": True} if default is None else {"action": "store_true"}
    parser.add_argument("--compile", **flag, help="run the networks through torch.compile")
    parser.add_argument("--channels-last", **flag, help="channels-last memory for the convolutions")
    if default is None:
        parser.add_argument(
            "--sync-bn",
            **flag,
            help="distributed runs: batch norm over the global batch (default: per process)",
        )


def _add_inference(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser("evaluate", help="clustering accuracy, NMI, ARI, L_I and H(c) per code")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--data-dir", help="folder with the labelled test files")
    evaluate.add_argument("--samples", type=int, default=10000, help="generated samples for L_I")
    evaluate.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the generated samples")
    evaluate.add_argument("--no-attributes", action="store_true", help="skip slant/width of continuous codes")
    evaluate.add_argument(
        "--no-fid",
        action="store_true",
        help="skip digit FID and classifier accuracy (the first use trains and caches a small "
        "MNIST classifier: a few minutes on a CPU)",
    )
    _add_disentanglement(evaluate)
    evaluate.add_argument(
        "--save", action="store_true", help="also write RUN_DIR/evaluation.json (the explorer and report show it)"
    )
    evaluate.add_argument("--confusion-png", type=Path, metavar="FILE.png", help="write c1's confusion matrix")
    traverse = commands.add_parser("traverse", help="the paper's Figure 2 grids, one per continuous code")
    traverse.add_argument("run_dir", type=Path)
    traverse.add_argument("--out", type=Path, required=True, help="FILE.png; per-code grids go beside it")
    traverse.add_argument("--columns", type=int, default=10)
    traverse.add_argument("--seed", type=int, default=0)
    sample = commands.add_parser("sample", help="a grid of generated images with chosen codes")
    sample.add_argument("run_dir", type=Path, metavar="RUN_DIR|FILE.safetensors")
    sample.add_argument("--n", type=int, default=64, help="number of images (at most 10000)")
    sample.add_argument("--out", type=Path, required=True, help="FILE.png")
    sample.add_argument("--code", action="append", default=[], metavar="NAME=VALUE", help="fix a code, e.g. c1=3")
    sample.add_argument("--seed", type=int, default=0)
    export = commands.add_parser("export", help="the generator, its latent spec and config as one .safetensors file")
    export.add_argument("run_dir", type=Path)
    export.add_argument("--out", type=Path, required=True, help="FILE.safetensors")
    export.add_argument("--checkpoint", help="'best' (checkpoints/best.pt) or a checkpoint file (default: the newest)")


def _add_disentanglement(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--disentanglement",
        choices=("small", "reference", "off"),
        default="small",
        help="sample sizes of FactorVAE, BetaVAE, MIG, DCI and SAP on data with a ground-truth sampler: "
        "small (about 0.3 million encoded images, the default), reference (disentanglement_lib's), off",
    )


def _add_analysis(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="one self-contained HTML page: config, curves, grids, metrics")
    report.add_argument("run_dir", type=Path)
    report.add_argument("--out", type=Path, help="FILE.html (default: RUN_DIR/report.html)")
    report.add_argument("--evaluation", type=Path, metavar="FILE.json", help="use saved `evaluate --json` output")
    report.add_argument("--samples", type=int, default=10000, help="generated samples for L_I and FID")
    report.add_argument("--no-attributes", action="store_true", help="skip slant/width of continuous codes")
    report.add_argument("--no-fid", action="store_true", help="skip digit FID and classifier accuracy")
    report.add_argument("--data-dir", help="folder with the labelled test files")
    _add_disentanglement(report)
    select = commands.add_parser(
        "select", help="rank runs without labels: invariance of a categorical code, or ModelCentrality"
    )
    select.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    select.add_argument(
        "--by",
        choices=("invariance", "centrality"),
        default="invariance",
        help="invariance of a categorical code (default), or ModelCentrality (Lin et al., 2020)",
    )
    select.add_argument("--votes", type=int, default=500, help="centrality: FactorVAE votes per pair of runs")
    select.add_argument("--vote-batch", type=int, default=100, help="centrality: images per vote")
    select.add_argument("--variance-samples", type=int, default=10000, help="centrality: images for the variances")
    select.add_argument("--grid", type=int, default=10, help="centrality: grid cells per continuous code")
    select.add_argument("--seed", type=int, default=0, help="centrality: seed of the generated images")
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
    bench = commands.add_parser("bench", help="time full training steps: images/s, FLOPs, fraction of matmul peak")
    bench.add_argument("--preset", help="experiment preset (default: mnist, or the data's architecture with --data)")
    bench.add_argument(
        "--data", dest="dataset", metavar="PATH_OR_NAME", help="time steps on this data (as train --data)"
    )
    bench.add_argument("--batch-size", type=int, help="default: the preset's (128 for mnist)")
    bench.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    bench.add_argument("--repeats", type=int, default=3)
    bench.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    bench.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--reuse-fakes", action="store_true", help="time steps as `train --reuse-fakes` takes them")
    _add_speed_options(bench, default=False)


def _add_explore(commands: argparse._SubParsersAction) -> None:
    explore = commands.add_parser(
        "explore", help="steer a run's codes live in the browser (pip install infogan[explore])"
    )
    explore.add_argument("run_dir", type=Path, metavar="RUN_DIR|FILE.safetensors")
    explore.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    explore.add_argument("--port", type=int, default=8765)
    explore.add_argument("--no-browser", action="store_true", help="do not open a browser")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="infogan", description="Train InfoGAN and measure what its codes learned.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(commands)
    _add_inference(commands)
    _add_analysis(commands)
    _add_explore(commands)
    return parser
