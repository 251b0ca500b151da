"""Training: ``train_step`` (a D step, then a G step) and the loop around it.

The D step updates the shared body, D's head and Q's head with
    adversarial(D) - lambda * L_I   (fakes from fresh z, c; G not updated),
the G step updates G alone with
    non-saturating adversarial(G) - lambda * L_I   (fresh z, c; D/Q frozen),
so the information term trains G, the Q head and the shared body, as in the authors' code.
Real and fake images go through D in separate passes (batch-norm statistics per pass).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from infogan import run as run_folder
from infogan.allocator import keep_freed_memory
from infogan.checkpoint import (
    BEST_NAME,
    FORMAT_VERSION,
    checkpoint_name,
    list_checkpoints,
    load_latest_checkpoint,
    prune_checkpoints,
    remove_stray_temporaries,
    save_checkpoint,
)
from infogan.config import TrainConfig
from infogan.data import EpochSampler, LabelledImages, load_dataset, to_float_images
from infogan.errors import CheckpointError, DataError, DivergenceError
from infogan.evaluate.clustering import clustering_scores
from infogan.evaluate.invariance import invariance_per_code
from infogan.latent import LatentBatch, LatentSpec
from infogan.losses import discriminator_loss, generator_loss
from infogan.networks import Discriminator, Generator, get_architecture
from infogan.optim import load_optimizer_state, make_adam
from infogan.sampling import encode
from infogan.viz import save_png, traversal_grid

MAX_ROLLBACKS = 5  # --on-divergence rollback: then stop, the learning rates are 1/32 of the start


class _IntervalMeans:
    """Running means of the step metrics between two log lines."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        self.count += 1

    def pop(self) -> dict[str, float]:
        means = {name: total / max(self.count, 1) for name, total in self.sums.items()}
        self.sums, self.count = {}, 0
        return means


@dataclass
class TrainingState:
    """Everything that changes during training and must be checkpointed.

    ``interval_means`` holds the sums since the last log line, so that a run resumed from a
    checkpoint between two log lines writes the same next line; ``best_accuracy`` is the
    best ``eval/<first categorical code>/accuracy`` so far (``None`` before any evaluation).
    """

    generator: Generator
    discriminator: Discriminator
    optimizer_g: torch.optim.Adam
    optimizer_d: torch.optim.Adam
    latent_rng: torch.Generator
    sampler: EpochSampler
    step: int = 0
    elapsed_s: float = 0.0
    interval_means: _IntervalMeans = field(default_factory=_IntervalMeans)
    best_accuracy: float | None = None


def fast_start_active(config: TrainConfig) -> bool:
    """Whether the run begins with the faster G / Q-head rates of ``config.fast_start_*``."""
    return config.fast_start_steps > 0 and (config.fast_start_lr_g is not None or config.fast_start_lr_q is not None)


def learning_rates(config: TrainConfig, fast: bool) -> tuple[float, float]:
    """(G's rate, Q head's rate), during the fast start (``fast``) or after it."""
    lr_g, lr_q = config.lr_g, config.lr_q if config.lr_q is not None else config.lr_d
    if fast:
        lr_g = config.fast_start_lr_g if config.fast_start_lr_g is not None else lr_g
        lr_q = config.fast_start_lr_q if config.fast_start_lr_q is not None else lr_q
    return lr_g, lr_q


def discriminator_param_groups(discriminator: Discriminator, config: TrainConfig) -> list[dict]:
    """D's optimiser groups: the body and D head at ``lr_d``, then Q's head at its own rate.

    With neither ``lr_q`` nor a fast start for Q there is one group, so the optimiser (and its
    checkpointed state) is the one-group Adam of the authors' code.
    """
    if config.lr_q is None and not (fast_start_active(config) and config.fast_start_lr_q is not None):
        return [{"params": list(discriminator.parameters())}]
    q_head = list(discriminator.q_head.parameters())
    q_ids = {id(parameter) for parameter in q_head}
    rest = [parameter for parameter in discriminator.parameters() if id(parameter) not in q_ids]
    return [{"params": rest}, {"params": q_head, "lr": learning_rates(config, fast_start_active(config))[1]}]


def end_fast_start(state: TrainingState, config: TrainConfig) -> None:
    """Drop G's and Q head's rates from the fast start's to the run's own.

    The rates are scaled, not set, so that a rollback's halving (``roll_back``) survives.
    """
    (fast_g, fast_q), (slow_g, slow_q) = learning_rates(config, True), learning_rates(config, False)
    for group in state.optimizer_g.param_groups:
        group["lr"] *= slow_g / fast_g
    if len(state.optimizer_d.param_groups) > 1:
        state.optimizer_d.param_groups[1]["lr"] *= slow_q / fast_q


def build_training_state(config: TrainConfig, device: torch.device, dataset_size: int) -> TrainingState:
    """Fresh networks (seeded by ``config.seed``), Adam optimisers and random streams."""
    # All three process-wide generators, so that a checkpoint's saved states do not depend
    # on the process that wrote it (a resumed run restores them).
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    random.seed(config.seed)
    generator, discriminator = run_folder.build_models(config)
    generator.to(device)
    discriminator.to(device)
    betas = (config.beta1, config.beta2)
    optimizer_g = make_adam(generator.parameters(), learning_rates(config, fast_start_active(config))[0], betas)
    optimizer_d = make_adam(discriminator_param_groups(discriminator, config), config.lr_d, betas)
    latent_rng = torch.Generator(device=device).manual_seed(config.seed + 1)
    sampler = EpochSampler(dataset_size, config.batch_size, config.seed + 2)
    return TrainingState(generator, discriminator, optimizer_g, optimizer_d, latent_rng, sampler)


def train_step(
    state: TrainingState, spec: LatentSpec, real_images: torch.Tensor, info_weight: float, reuse_fakes: bool = False
) -> dict[str, float]:
    """One D update then one G update on a batch of float images (B, C, H, W).

    ``info_weight`` 1 is InfoGAN (each code's own lambda applies inside); 0 is the plain
    GAN baseline, where Q learns on detached body features and G ignores it.
    ``reuse_fakes`` False draws fresh latents for the G update, as the authors' code does;
    True back-propagates the G update through the D update's fakes (one G forward per step,
    the same latents for both updates, as the PyTorch DCGAN example and most public
    InfoGAN implementations do): about 1.1x faster, a different sampling (README, Performance).
    """
    generator, discriminator = state.generator, state.discriminator
    batch_size, device = real_images.shape[0], real_images.device
    plain = info_weight == 0

    # 1. D step: fakes from fresh latents, no gradient into G.
    latents = spec.sample(batch_size, state.latent_rng, device)
    with torch.set_grad_enabled(reuse_fakes):  # G's graph is kept only if the G step reuses it
        fake_images = generator(spec.generator_input(latents))  # (B, C, H, W)
    real_logits, _ = discriminator(real_images)  # separate passes: BN statistics per pass
    fake_logits, q_output = discriminator(fake_images.detach(), detach_q=plain)
    # In the plain baseline Q still learns (on detached features) so L_I can be measured.
    d_total, metrics = discriminator_loss(spec, real_logits, fake_logits, q_output, latents, info_weight=1.0)

    # 2. Update the shared body, D head and Q head.
    state.optimizer_d.zero_grad(set_to_none=True)
    d_total.backward()
    state.optimizer_d.step()

    # 3. G step, then the step is done.
    if reuse_fakes:
        metrics.update(generator_update(state, spec, latents, fake_images, info_weight))
    else:
        metrics.update(generator_step(state, spec, batch_size, device, info_weight))
    state.step += 1
    return metrics


def generator_step(
    state: TrainingState, spec: LatentSpec, batch_size: int, device: torch.device, info_weight: float
) -> dict[str, float]:
    """One G update on ``batch_size`` fresh latents."""
    latents = spec.sample(batch_size, state.latent_rng, device)
    fake_images = state.generator(spec.generator_input(latents))  # (B, C, H, W)
    return generator_update(state, spec, latents, fake_images, info_weight)


def generator_update(
    state: TrainingState, spec: LatentSpec, latents: LatentBatch, fake_images: torch.Tensor, info_weight: float
) -> dict[str, float]:
    """One G update from ``fake_images`` (B, C, H, W), still attached to G's graph, made from
    ``latents``; D/Q frozen so only G's gradients are computed."""
    discriminator = state.discriminator
    discriminator.requires_grad_(False)
    fake_logits, q_output = discriminator(fake_images)
    g_total, g_metrics = generator_loss(spec, fake_logits, q_output, latents, info_weight)
    state.optimizer_g.zero_grad(set_to_none=True)
    g_total.backward()
    state.optimizer_g.step()
    discriminator.requires_grad_(True)
    return g_metrics


def check_finite(metrics: dict[str, float], step: int) -> None:
    """Stop with a clear error naming the loss that became NaN or infinite."""
    for name, value in metrics.items():
        if not math.isfinite(value):
            raise DivergenceError(
                f"{name} became {value} at step {step}; the last good checkpoint is kept "
                "(--resume with --on-divergence rollback retries it with halved learning rates)"
            )


def checkpoint_state(state: TrainingState, config: TrainConfig) -> dict:
    """The checkpoint dict: tensors and plain data only (safe to load with weights_only)."""
    return {
        "version": FORMAT_VERSION,
        "step": state.step,
        "elapsed_s": state.elapsed_s,
        "config": config.to_json(),
        "generator": state.generator.state_dict(),
        "discriminator": state.discriminator.state_dict(),
        "optimizer_g": state.optimizer_g.state_dict(),
        "optimizer_d": state.optimizer_d.state_dict(),
        "interval_means": {"sums": dict(state.interval_means.sums), "count": state.interval_means.count},
        "best_accuracy": state.best_accuracy,
        "rng": {
            "latent": state.latent_rng.get_state(),
            "sampler": state.sampler.state_dict(),
            **capture_global_rng(),
        },
    }


def capture_global_rng() -> dict:
    """The process-wide random states of torch, NumPy and Python, as tensors and lists."""
    _, numpy_keys, numpy_position, has_gauss, cached_gauss = np.random.get_state()
    python_version, python_state, python_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "numpy": [torch.from_numpy(numpy_keys.astype(np.int64)), numpy_position, has_gauss, cached_gauss],
        "python": [python_version, list(python_state), python_gauss],
    }


def restore_global_rng(saved: dict) -> None:
    torch.set_rng_state(saved["torch"])
    numpy_keys, numpy_position, has_gauss, cached_gauss = saved["numpy"]
    np.random.set_state(("MT19937", numpy_keys.numpy().astype(np.uint32), numpy_position, has_gauss, cached_gauss))
    python_version, python_state, python_gauss = saved["python"]
    random.setstate((python_version, tuple(python_state), python_gauss))


def restore_state(state: TrainingState, checkpoint: dict, config: TrainConfig) -> None:
    """Load a checkpoint into ``state``; refuse one whose architecture or codes differ."""
    saved = TrainConfig.from_dict(json.loads(checkpoint["config"]))
    if saved.identity() != config.identity():
        raise CheckpointError(
            "the checkpoint was trained with another architecture, dataset or latent spec; "
            "resume with the run's own settings or start a new run with --out"
        )
    try:
        state.generator.load_state_dict(checkpoint["generator"])
        state.discriminator.load_state_dict(checkpoint["discriminator"])
        load_optimizer_state(state.optimizer_g, checkpoint["optimizer_g"])
        load_optimizer_state(state.optimizer_d, checkpoint["optimizer_d"])
    except (RuntimeError, ValueError, KeyError) as error:
        raise CheckpointError(f"checkpoint does not fit the networks: {str(error).splitlines()[0]}") from None
    rng = checkpoint["rng"]
    restore_global_rng(rng)
    state.latent_rng.set_state(rng["latent"])
    state.sampler.load_state_dict(rng["sampler"])
    state.step = int(checkpoint["step"])
    state.elapsed_s = float(checkpoint.get("elapsed_s", 0.0))
    saved_means = checkpoint.get("interval_means", {"sums": {}, "count": 0})
    state.interval_means.sums, state.interval_means.count = dict(saved_means["sums"]), int(saved_means["count"])
    state.best_accuracy = checkpoint.get("best_accuracy")


def roll_back(state: TrainingState, config: TrainConfig, run_dir: Path, diverged: dict[str, float]) -> None:
    """``--on-divergence rollback``: reload the newest checkpoint and halve both learning rates.

    The rates are halved from the current ones (not the checkpoint's), so repeated rollbacks
    compound; the halved rates live in the optimiser states and so survive a resume.
    """
    diverged_step = state.step
    learning_rates = [group["lr"] for optimizer in (state.optimizer_g, state.optimizer_d) for group in optimizer.param_groups]
    bad = sorted(name for name, value in diverged.items() if not math.isfinite(value))
    checkpoint = load_latest_checkpoint(run_dir / run_folder.CHECKPOINT_DIR, next(state.generator.parameters()).device)
    if checkpoint is None:
        raise DivergenceError(
            f"{bad[0]} became {diverged[bad[0]]} at step {diverged_step}, before any checkpoint to roll back to"
        )
    restore_state(state, checkpoint, config)
    groups = [group for optimizer in (state.optimizer_g, state.optimizer_d) for group in optimizer.param_groups]
    for group, rate in zip(groups, learning_rates):
        group["lr"] = rate / 2
    run_folder.truncate_metrics(run_dir, state.step)
    run_folder.append_metrics(run_dir, {
        "kind": "rollback", "step": state.step, "diverged_step": diverged_step, "losses": bad,
        "lr_g": state.optimizer_g.param_groups[0]["lr"], "lr_d": state.optimizer_d.param_groups[0]["lr"],
    })


def evaluate_categorical(
    discriminator: Discriminator, spec: LatentSpec, test_set: LabelledImages, output_activation: str
) -> dict[str, float]:
    """``eval/<code>/accuracy|nmi|ari`` of every categorical code on a labelled set, via Q,
    and the label-free ``eval/<code>/invariance`` (see ``infogan.evaluate.invariance``)."""
    device = next(discriminator.parameters()).device
    posteriors = encode(discriminator, spec, to_float_images(test_set.images, output_activation).to(device))
    invariance = invariance_per_code(discriminator, spec, test_set.images, output_activation, posteriors)
    labels = test_set.labels.numpy()
    scores = {}
    for code in spec.categorical:
        predicted = posteriors[code.name].argmax(dim=1).cpu().numpy()
        for metric, value in clustering_scores(predicted, labels).items():
            scores[f"eval/{code.name}/{metric}"] = value
        scores[f"eval/{code.name}/invariance"] = invariance[code.name]
    return scores


FIXED_ON_RESUME = ("seed", "lr_d", "lr_g", "lr_q", "batch_size", "weight_init",
                   "fast_start_steps", "fast_start_lr_g", "fast_start_lr_q", "reuse_fakes")


def _prepare(config: TrainConfig, run_dir: Path, resume: bool, overwrite: bool) -> TrainConfig:
    """Check the run folder and, on resume, merge the saved config with the allowed changes."""
    run_folder.prepare_run_dir(run_dir, resume, overwrite)
    if resume:
        saved = run_folder.read_config(run_dir)
        if saved.identity() != config.identity() or saved.mode != config.mode:
            raise CheckpointError(
                f"{run_dir} was trained with another architecture, dataset, mode or latent spec; "
                "resume it with its own settings (only steps, intervals and device may change)"
            )
        for name in FIXED_ON_RESUME:  # the optimiser and data-order states were made with these
            if getattr(config, name) != getattr(saved, name):
                raise CheckpointError(
                    f"{name} cannot change when resuming ({run_dir} uses {getattr(saved, name)}, "
                    f"not {getattr(config, name)}); start from infogan.run.read_config(run_dir)"
                )
    run_folder.write_config(run_dir, config)
    return config


def _save(state: TrainingState, config: TrainConfig, run_dir: Path, best: dict | None = None) -> None:
    """The step checkpoint, pruned to the newest K; or, with ``best``, ``best.pt`` (never pruned)."""
    folder = run_dir / run_folder.CHECKPOINT_DIR
    folder.mkdir(exist_ok=True)
    if best is not None:
        save_checkpoint(folder / BEST_NAME, {**checkpoint_state(state, config), "best": best})
        return
    save_checkpoint(folder / checkpoint_name(state.step), checkpoint_state(state, config))
    prune_checkpoints(folder, config.keep_checkpoints)


def _resume(state: TrainingState, config: TrainConfig, run_dir: Path, device: torch.device) -> None:
    """Continue from the newest checkpoint that loads; refuse when there are some and none loads."""
    folder = run_dir / run_folder.CHECKPOINT_DIR
    remove_stray_temporaries(folder)  # a write killed before its rename
    checkpoint = load_latest_checkpoint(folder, device)
    if checkpoint is None and list_checkpoints(folder):
        raise CheckpointError(f"no checkpoint in {folder} can be loaded; start again with --overwrite")
    if checkpoint is not None:
        restore_state(state, checkpoint, config)
    run_folder.truncate_metrics(run_dir, state.step)


def train(
    config: TrainConfig,
    run_dir: str | Path,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    on_start: Callable[[TrainConfig, int], None] | None = None,
) -> Path:
    """Train (or continue) a run in ``run_dir`` up to ``config.steps``; returns the folder.

    ``on_start(config, step)`` is called once the data, device and run folder are checked,
    with the resolved config and the step training starts from (the CLI prints it).
    """
    run_dir = Path(run_dir)
    keep_freed_memory()  # malloc reuses freed blocks: no page faults for each step's buffers
    device = run_folder.resolve_device(config.device)
    train_set = load_dataset(config.dataset, "train", config.data_dir)
    test_set = load_dataset(config.dataset, "test", config.data_dir) if config.eval_every else None
    if config.batch_size > len(train_set.images):  # checked before _prepare, which may replace a run
        raise DataError(f"batch size {config.batch_size} exceeds the data set's {len(train_set.images)} images")
    config = _prepare(config, run_dir, resume, overwrite)
    output_activation = get_architecture(config.architecture).output_activation
    state = build_training_state(config, device, len(train_set.images))
    if resume:
        _resume(state, config, run_dir, device)
    if on_start is not None:
        on_start(config, state.step)
    real_pool = train_set.images.to(device)  # (N, C, H, W) uint8, whole set in memory
    info_weight = 0.0 if config.mode == "plain" else 1.0
    spec, rollbacks = config.latent, 0
    entropies = {f"entropy/{name}": value for name, value in spec.entropy_nats().items()}
    (run_dir / run_folder.IMAGE_DIR).mkdir(exist_ok=True)
    first_code = spec.codes[0].name if spec.codes else None
    bar = tqdm(total=config.steps, initial=state.step, disable=not progress, dynamic_ncols=True, unit="step")
    writer = _tensorboard_writer(run_dir)
    started = time.perf_counter() - state.elapsed_s
    while state.step < config.steps:
        real_images = to_float_images(real_pool[state.sampler.next_indices().to(device)], output_activation)
        metrics = train_step(state, spec, real_images, info_weight, config.reuse_fakes)
        diverged = not all(math.isfinite(value) for value in metrics.values())
        if diverged and config.on_divergence == "rollback" and rollbacks < MAX_ROLLBACKS:
            rollbacks += 1
            roll_back(state, config, run_dir, metrics)
            bar.reset(total=config.steps)
            bar.update(state.step)
            continue
        check_finite(metrics, state.step)
        if fast_start_active(config) and state.step == config.fast_start_steps:
            end_fast_start(state, config)
        state.interval_means.add(metrics)
        state.elapsed_s = time.perf_counter() - started
        if first_code:
            bar.set_postfix({f"L_I({first_code})": f"{metrics[f'info/{first_code}']:.3f}",
                             "H": f"{entropies[f'entropy/{first_code}']:.3f}"}, refresh=False)
        bar.update(1)
        _periodic(state, config, run_dir, entropies, test_set, output_activation, writer)
    bar.close()
    if writer is not None:
        writer.close()
    return run_dir


def _tensorboard_writer(run_dir: Path):
    """A TensorBoard SummaryWriter logging into ``run_dir/tensorboard`` when tensorboard is installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(run_dir / run_folder.TENSORBOARD_DIR))


def _log(run_dir: Path, record: dict, writer) -> None:
    """One metrics.jsonl line, mirrored to TensorBoard scalars when a writer is open."""
    run_folder.append_metrics(run_dir, record)
    if writer is not None:
        for name, value in record.items():
            if name not in ("kind", "step") and isinstance(value, (int, float)):
                writer.add_scalar(name, value, record["step"])


def _periodic(
    state: TrainingState, config: TrainConfig, run_dir: Path,
    entropies: dict[str, float], test_set: LabelledImages | None, output_activation: str, writer=None,
) -> None:
    """Metrics lines, evaluation (and best.pt), image grids and checkpoints at their intervals and at the end."""
    step, last = state.step, state.step == config.steps
    if step % config.log_every == 0 or last:
        record = {"kind": "train", "step": step, "time_s": round(state.elapsed_s, 3), **state.interval_means.pop(), **entropies}
        _log(run_dir, record, writer)
    if test_set is not None and config.latent.categorical and (step % config.eval_every == 0 or last):
        scores = evaluate_categorical(state.discriminator, config.latent, test_set, output_activation)
        _log(run_dir, {"kind": "eval", "step": step, "time_s": round(state.elapsed_s, 3), **scores}, writer)
        best_metric = f"eval/{config.latent.categorical[0].name}/accuracy"
        if state.best_accuracy is None or scores[best_metric] > state.best_accuracy:
            state.best_accuracy = scores[best_metric]
            _save(state, config, run_dir, best={"metric": best_metric, "value": scores[best_metric]})
    if step % config.image_every == 0 or last:
        grid = traversal_grid(state.generator, config.latent, None, seed=config.seed, output_activation=output_activation)
        save_png(grid, run_dir / run_folder.IMAGE_DIR / f"step_{step:08d}.png")
    if step % config.checkpoint_every == 0 or last:
        _save(state, config, run_dir)
