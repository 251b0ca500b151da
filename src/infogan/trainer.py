"""Training: ``train_step`` (a D step, then a G step) and ``train``, the loop around it.

The D step updates the shared body, D's head and Q's head with
    adversarial(D) - lambda * L_I   (fakes from fresh z, c; G not updated),
the G step updates G alone with
    non-saturating adversarial(G) - lambda * L_I   (fresh z, c; D/Q frozen),
so the information term trains G, the Q head and the shared body, as in the authors' code.
Real and fake images go through D in separate passes (batch-norm statistics per pass).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from infogan import run_folder
from infogan.augment import random_shift
from infogan.checkpoint import (
    BEST_NAME,
    checkpoint_name,
    list_checkpoints,
    load_latest_checkpoint,
    prune_checkpoints,
    remove_stray_temporaries,
    restore_from_checkpoint,
    save_checkpoint,
    state_to_checkpoint,
)
from infogan.config import TrainConfig
from infogan.contrastive import ContrastiveState, build_contrastive, contrastive_step
from infogan.data import EpochSampler, ImageSet, load_dataset, to_float_images
from infogan.data.arrays import images_from_array, labels_from_array
from infogan.devices import resolve_device
from infogan.distributed import (
    ShardedSpec,
    World,
    barrier,
    check_global_batch,
    current_world,
    is_writer,
    mean_over_processes,
    process_group,
    rank_device,
    shard_rows,
    world_from_environment,
)
from infogan.errors import CheckpointError, DataError, InfoganError
from infogan.evaluate.categorical import categorical_scores
from infogan.files import write_atomic
from infogan.latent import LatentBatch, LatentSpec
from infogan.losses import discriminator_loss, generator_loss
from infogan.networks import Discriminator, Generator, build_models, check_model_size, get_architecture
from infogan.optim import make_adam
from infogan.precision import make_loss_scaler
from infogan.rollback import MAX_ROLLBACKS, check_finite, roll_back
from infogan.run_data import load_split, resolve_architecture
from infogan.schedule import discriminator_param_groups, end_fast_start, fast_start_active, learning_rates
from infogan.training_log import IntervalMeans, MetricsLog, SilentLog
from infogan.training_modules import bare_network, wrap_for_training
from infogan.viz import save_png, save_traversals, traversal_grid


@dataclass
class TrainingState:
    """Everything that changes during training and is checkpointed.

    ``interval_means`` holds the sums since the last log line, so that a run resumed from a
    checkpoint between two log lines writes the same next line; ``best_accuracy`` is the
    best ``eval/<first categorical code>/accuracy`` so far (``None`` before any evaluation).
    ``contrastive`` holds InfoGAN-CR's network and optimiser when ``cr_weight`` > 0 (else ``None``).
    ``generator`` and ``discriminator`` are what ``train_step`` calls: the networks, or
    their wrappers (``training_modules``); ``loss_scaler`` scales fp16 losses and otherwise
    passes them through.
    """

    generator: Generator
    discriminator: Discriminator
    optimizer_g: torch.optim.Adam
    optimizer_d: torch.optim.Adam
    latent_rng: torch.Generator
    sampler: EpochSampler
    step: int = 0
    elapsed_s: float = 0.0
    interval_means: IntervalMeans = field(default_factory=IntervalMeans)
    best_accuracy: float | None = None
    contrastive: ContrastiveState | None = None
    loss_scaler: torch.amp.GradScaler = field(default_factory=lambda: make_loss_scaler("fp32", torch.device("cpu")))


def build_training_state(config: TrainConfig, device: torch.device, dataset_size: int) -> TrainingState:
    """Fresh networks (seeded by ``config.seed``), Adam optimisers and random streams."""
    # All three process-wide generators, so that a checkpoint's saved states do not depend
    # on the process that wrote it (a resumed run restores them).
    torch.manual_seed(config.seed)
    np.random.seed(config.seed % 2**32)
    random.seed(config.seed)
    generator, discriminator = build_models(config)
    generator.to(device)
    discriminator.to(device)
    betas = (config.beta1, config.beta2)
    optimizer_g = make_adam(generator.parameters(), learning_rates(config, fast_start_active(config))[0], betas)
    optimizer_d = make_adam(discriminator_param_groups(discriminator, config), config.lr_d, betas)
    latent_rng = torch.Generator(device=device).manual_seed(config.seed + 1)
    sampler = EpochSampler(dataset_size, config.batch_size, config.seed + 2)
    state = TrainingState(generator, discriminator, optimizer_g, optimizer_d, latent_rng, sampler)
    state.contrastive = build_contrastive(config, device)  # last: G and D are initialised as without it
    return state


def train_step(
    state: TrainingState,
    spec: LatentSpec,
    real_images: torch.Tensor,
    info_weight: float,
    reuse_fakes: bool = False,
    augment_shift: int = 0,
) -> dict[str, torch.Tensor]:
    """One D update then one G update on a batch of float images (B, C, H, W); returns the step's
    metrics (0-d tensors on the device: nothing here waits for it).

    ``info_weight`` 1 is InfoGAN (each code's own lambda applies inside); 0 is the plain
    GAN baseline, where Q learns on detached body features and G ignores it.
    ``reuse_fakes`` False draws fresh latents for the G update, as the authors' code does;
    True back-propagates the G update through the D update's fakes (one G forward per step,
    the same latents for both updates, as most public InfoGAN implementations do).
    ``augment_shift`` N > 0 shifts every image D sees by up to N pixels (``infogan.augment``).
    """
    generator, discriminator = state.generator, state.discriminator
    batch_size, device = real_images.shape[0], real_images.device
    plain = info_weight == 0

    # 1. D step: fakes from fresh latents, no gradient into G.
    latents = spec.sample(batch_size, state.latent_rng, device)
    with torch.set_grad_enabled(reuse_fakes):  # G's graph is kept only if the G step reuses it
        fake_images = generator(spec.generator_input(latents))  # (B, C, H, W)
    rng = state.latent_rng
    real_logits, _ = discriminator(random_shift(real_images, augment_shift, rng))  # separate passes: BN per pass
    fake_logits, q_output = discriminator(random_shift(fake_images.detach(), augment_shift, rng), detach_q=plain)
    # In the plain baseline Q still learns (on detached features) so L_I can be measured.
    d_total, metrics = discriminator_loss(spec, real_logits, fake_logits, q_output, latents, info_weight=1.0)

    # 2. Update the shared body, D head and Q head.
    state.optimizer_d.zero_grad(set_to_none=True)
    state.loss_scaler.scale(d_total).backward()
    state.loss_scaler.step(state.optimizer_d)

    # 3. G step.
    if reuse_fakes:
        metrics.update(generator_update(state, spec, latents, fake_images, info_weight, augment_shift))
    else:
        metrics.update(generator_step(state, spec, batch_size, device, info_weight, augment_shift))

    # 4. CR step (InfoGAN-CR, only with cr_weight > 0): the CR network and G on a fresh batch of pairs.
    if state.contrastive is not None:
        metrics.update(contrastive_step(state, spec, batch_size))
    state.loss_scaler.update()
    state.step += 1
    return metrics


def generator_step(
    state: TrainingState,
    spec: LatentSpec,
    batch_size: int,
    device: torch.device,
    info_weight: float,
    augment_shift: int = 0,
) -> dict[str, torch.Tensor]:
    """One G update on ``batch_size`` fresh latents."""
    latents = spec.sample(batch_size, state.latent_rng, device)
    fake_images = state.generator(spec.generator_input(latents))  # (B, C, H, W)
    return generator_update(state, spec, latents, fake_images, info_weight, augment_shift)


def generator_update(
    state: TrainingState,
    spec: LatentSpec,
    latents: LatentBatch,
    fake_images: torch.Tensor,
    info_weight: float,
    augment_shift: int = 0,
) -> dict[str, torch.Tensor]:
    """One G update from ``fake_images`` (B, C, H, W), still attached to G's graph, made from
    ``latents``; D/Q frozen so only G's gradients are computed (through the shift, if any)."""
    discriminator = state.discriminator
    discriminator.requires_grad_(False)
    fake_logits, q_output = discriminator(random_shift(fake_images, augment_shift, state.latent_rng))
    g_total, g_metrics = generator_loss(spec, fake_logits, q_output, latents, info_weight)
    state.optimizer_g.zero_grad(set_to_none=True)
    state.loss_scaler.scale(g_total).backward()
    state.loss_scaler.step(state.optimizer_g)
    discriminator.requires_grad_(True)
    return g_metrics


def load_training_data(config: TrainConfig) -> tuple[ImageSet, ImageSet | None]:
    """The training split and (when evaluations are on) the test split, in the architecture's
    format, checked against the batch size."""
    train_set = load_split(config, "train")
    test_set = load_split(config, "test") if config.eval_every and config.latent.categorical else None
    if config.batch_size > len(train_set):
        raise DataError(f"batch size {config.batch_size} exceeds the data set's {len(train_set)} images")
    if test_set is not None and len(test_set) == 0:
        test_set = None
    return train_set, test_set


def steps_for_epochs(config: TrainConfig, epochs: float) -> int:
    """Updates that make ``epochs`` passes over the config's training set (at least 1)."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, float)) or not math.isfinite(epochs) or epochs <= 0:
        raise InfoganError(f"epochs must be a positive number, got {epochs!r}")
    size = len(load_dataset(config.dataset, "train", config.data_dir))
    return max(1, round(epochs * size / config.batch_size))


def _check_before_writing(config: TrainConfig, run_dir: Path, resume: bool, overwrite: bool) -> TrainConfig:
    """Every check that can fail before the run folder is touched; returns the config to train."""
    if resume and overwrite:
        raise InfoganError("resume and overwrite contradict each other; choose one")
    run_folder.check_run_dir(run_dir, resume, overwrite)
    if resume:
        config.check_resume(run_folder.read_config(run_dir), run_dir)
    check_model_size(config)
    resolve_device(config.device)
    return config


def _store_arrays(config: TrainConfig, run_dir: Path, images, labels, resume: bool, overwrite: bool) -> TrainConfig:
    """Check arrays given to ``train`` and keep them as RUN_DIR/data.npz; the config reads them."""
    if resume:
        raise InfoganError("arrays are given when a run starts; resume it without them")
    run_folder.check_run_dir(run_dir, False, overwrite)
    to_numpy = lambda values: values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else values  # noqa: E731
    checked = images_from_array(to_numpy(images), "the images")
    checked_labels = labels_from_array(None if labels is None else to_numpy(labels), len(checked), "the labels")
    run_folder.create_run_dir(run_dir)
    path = run_dir / run_folder.ARRAYS_FILE
    arrays = {"x": checked} if checked_labels is None else {"x": checked, "y": checked_labels}
    with run_folder.RunLock(run_dir):
        write_atomic(path, lambda stream: np.savez(stream, **arrays))
    return config.with_changes(dataset=str(path.resolve()))


def _resume(state: TrainingState, config: TrainConfig, run_dir: Path, device: torch.device) -> None:
    """Continue from the newest step checkpoint that loads; refuse when none does."""
    folder = run_dir / run_folder.CHECKPOINT_DIR
    if is_writer():
        remove_stray_temporaries(folder)  # a write killed before its rename
    checkpoint = load_latest_checkpoint(folder, device)
    if checkpoint is None:
        best = folder / BEST_NAME
        hint = (
            f"; {best} is left: copy it to {folder / 'step_XXXXXXXX.pt'} (its step, 8 digits) to continue from it"
            if best.is_file()
            else "; start again with --overwrite"
        )
        state_word = "can be loaded" if list_checkpoints(folder) else "is left"
        raise CheckpointError(f"cannot resume {run_dir}: no step checkpoint {state_word}{hint}")
    restore_from_checkpoint(state, checkpoint, config)
    if config.steps < state.step:
        raise InfoganError(
            f"{run_dir} is already at step {state.step}; --steps {config.steps} would go back "
            f"(give --steps {state.step} or more)"
        )
    if is_writer():
        run_folder.truncate_metrics(run_dir, state.step)


def _start(state: TrainingState, config: TrainConfig, run_dir: Path, resume: bool, world: World) -> None:
    """Resume (every process loads the checkpoint) or clear the folder, then save the config (process 0)."""
    if resume:
        _resume(state, config, run_dir, next(bare_network(state.generator).parameters()).device)
    elif world.is_writer:  # --overwrite, or what an interrupted start left: infogan's own files only
        run_folder.remove_run_outputs(run_dir)
    if world.is_writer:
        run_folder.write_config(run_dir, config)
    barrier()  # the folder is ready before any process goes on


def train(
    config: TrainConfig,
    run_dir: str | Path,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    on_start: Callable[[TrainConfig, int], None] | None = None,
    images: np.ndarray | torch.Tensor | None = None,
    labels: np.ndarray | torch.Tensor | None = None,
) -> Path:
    """Train (or continue) a run in ``run_dir`` up to ``config.steps``; returns the folder.

    Nothing in ``run_dir`` changes before the config, data, device and folder are checked.
    ``on_start(config, step)`` is called then, with the step training starts from (the CLI
    prints it). One process trains a run at a time (``run_folder.RunLock``). At the end the
    traversal grids ``traversal.png`` and ``traversal_<code>.png`` are written.

    Under ``torchrun`` every process calls ``train`` and they train the run together
    (``infogan.distributed``): process 0 alone writes, calls ``on_start`` and shows progress.

    ``images`` (and ``labels``) train on arrays instead of ``config.dataset``: any layout
    ``infogan.data.arrays`` takes; they are kept as RUN_DIR/data.npz so the run can resume.
    """
    run_dir, world = Path(run_dir), world_from_environment()
    if images is not None:
        if world.distributed:
            raise InfoganError("arrays are trained in one process; save them as FILE.npz and pass --data FILE.npz")
        config = _store_arrays(config, run_dir, images, labels, resume, overwrite)
    config = _check_before_writing(resolve_architecture(config), run_dir, resume, overwrite)
    check_global_batch(config.batch_size, world)
    if world.distributed and config.cr_weight > 0:
        raise InfoganError("InfoGAN-CR (--cr-weight) trains in one process; run it without torchrun")
    train_set, test_set = load_training_data(config)
    device = rank_device(resolve_device(config.device), world)
    with process_group(device) as world:
        barrier()  # every process has checked the folder before process 0 changes it
        state = build_training_state(config, device, len(train_set.images))
        wrap_for_training(state, config, world)
        if not resume and world.is_writer:
            run_folder.create_run_dir(run_dir)
        with run_folder.RunLock(run_dir) if world.is_writer else nullcontext():
            _start(state, config, run_dir, resume, world)
            if on_start is not None and world.is_writer:
                on_start(config, state.step)
            _train_loop(state, config, run_dir, train_set, test_set, progress and world.is_writer)
            if world.is_writer:
                save_traversals(
                    bare_network(state.generator),
                    config.latent,
                    run_dir / "traversal.png",
                    seed=config.seed,
                    output_activation=get_architecture(config.architecture).output_activation,
                )
    return run_dir


def _writes_at(step: int, config: TrainConfig) -> bool:
    """Whether ``step`` writes anything: a log line, an evaluation, an image grid or a checkpoint."""
    every = (config.log_every, config.image_every, config.checkpoint_every, config.eval_every or config.steps)
    return step == config.steps or any(step % interval == 0 for interval in every)


def _checks_divergence(step: int, config: TrainConfig, device: torch.device, world: World) -> bool:
    """Whether ``step`` reads the metrics to look for NaN or infinity: every step of a one-process
    CPU run (reading costs no wait there), else every step that writes something (``rollback``)."""
    return (device.type == "cpu" and not world.distributed) or _writes_at(step, config)


def _train_loop(
    state: TrainingState,
    config: TrainConfig,
    run_dir: Path,
    train_set: ImageSet,
    test_set: ImageSet | None,
    progress: bool,
) -> None:
    """Steps until ``config.steps``, with logging, evaluation, images, checkpoints and rollbacks."""
    world, device = current_world(), next(state.generator.parameters()).device
    activation = get_architecture(config.architecture).output_activation
    real_pool = train_set.images.to(device)  # (N, C, H, W) uint8, whole set in memory
    info_weight = 0.0 if config.mode == "plain" else 1.0
    spec = ShardedSpec(config.latent, world) if world.distributed else config.latent
    state.interval_means.reduce = mean_over_processes if world.distributed else None
    rollbacks, log = 0, MetricsLog(run_dir) if world.is_writer else SilentLog()
    if world.is_writer:
        (run_dir / run_folder.IMAGE_DIR).mkdir(exist_ok=True)
    bar = tqdm(total=config.steps, initial=state.step, disable=not progress, dynamic_ncols=True, unit="step")
    started, first_unchecked = time.perf_counter() - state.elapsed_s, state.step + 1
    try:
        while state.step < config.steps:
            indices = shard_rows(state.sampler.next_indices(), world).to(device)  # this process's share
            real_images = to_float_images(real_pool[indices], activation)
            metrics = train_step(state, spec, real_images, info_weight, config.reuse_fakes, config.augment_shift)
            state.interval_means.add(metrics)
            checked = _checks_divergence(state.step, config, device, world)
            diverged = state.interval_means.nonfinite() if checked else {}
            if diverged and config.on_divergence == "rollback" and rollbacks < MAX_ROLLBACKS:
                rollbacks += 1
                log.write(roll_back(state, config, run_dir, diverged))
                bar.reset(total=config.steps)
                bar.update(state.step)
                first_unchecked = state.step + 1
                continue
            check_finite(diverged, state.step, first_unchecked)
            if fast_start_active(config) and state.step == config.fast_start_steps:
                end_fast_start(state.optimizer_g, state.optimizer_d, config)
            state.elapsed_s = time.perf_counter() - started
            bar.update(1)
            record = _periodic(state, config, run_dir, test_set, activation, log, world)
            first_unchecked = state.step + 1 if checked else first_unchecked
            _show_progress(bar, config.latent, record)
    finally:
        bar.close()
        log.close()


def _show_progress(bar: tqdm, spec: LatentSpec, record: dict | None) -> None:
    """L_I of the first code beside its H(c) on the bar, from each new log line's means."""
    if spec.codes and record is not None:
        code = spec.codes[0]
        bar.set_postfix(
            {f"L_I({code.name})": f"{record[f'info/{code.name}']:.3f}", "H": f"{code.entropy_nats():.3f}"},
            refresh=False,
        )


def _periodic(
    state: TrainingState,
    config: TrainConfig,
    run_dir: Path,
    test_set: ImageSet | None,
    activation: str,
    log: MetricsLog | SilentLog,
    world: World,
) -> dict | None:
    """Metrics lines, evaluation (and best.pt), image grids and checkpoints at their intervals and at
    the end (process 0 writes them); returns the ``train`` record when one was logged."""
    step, last, spec = state.step, state.step == config.steps, config.latent
    evaluates = test_set is not None and spec.categorical and (step % config.eval_every == 0 or last)
    checkpoints = step % config.checkpoint_every == 0 or last
    if world.distributed and (evaluates or checkpoints):
        state.interval_means.share()  # process 0's checkpoint carries the run's sums
    record = None
    if step % config.log_every == 0 or last:
        entropies = {f"entropy/{name}": value for name, value in spec.entropy_nats().items()}
        means = state.interval_means.pop()
        record = {"kind": "train", "step": step, "time_s": round(state.elapsed_s, 3), **means, **entropies}
        log.write(record)
    if world.is_writer:
        generator = bare_network(state.generator)
        if evaluates:
            _evaluate(state, config, run_dir, test_set, activation, log)
        if step % config.image_every == 0 or last:
            grid = traversal_grid(generator, spec, None, seed=config.seed, output_activation=activation)
            save_png(grid, run_dir / run_folder.IMAGE_DIR / f"step_{step:08d}.png")
        if checkpoints:
            _save(state, config, run_dir)
    if evaluates or checkpoints:
        barrier()  # process 0's files are complete before a rollback could read them
    return record


def _evaluate(
    state: TrainingState,
    config: TrainConfig,
    run_dir: Path,
    test_set: ImageSet,
    activation: str,
    log: MetricsLog,
) -> None:
    """An ``eval`` line of every categorical code's test-set scores; ``best.pt`` when c1 improves."""
    scores = categorical_scores(
        bare_network(state.discriminator), config.latent, test_set.images, test_set.labels, activation
    )
    flat = {f"eval/{code}/{metric}": value for code, values in scores.items() for metric, value in values.items()}
    log.write({"kind": "eval", "step": state.step, "time_s": round(state.elapsed_s, 3), **flat})
    best_metric = f"eval/{config.latent.categorical[0].name}/accuracy"
    if best_metric in flat and (state.best_accuracy is None or flat[best_metric] > state.best_accuracy):
        state.best_accuracy = flat[best_metric]
        _save(state, config, run_dir, best={"metric": best_metric, "value": flat[best_metric]})


def _save(state: TrainingState, config: TrainConfig, run_dir: Path, best: dict | None = None) -> None:
    """The step checkpoint, pruned to the newest K; or, with ``best``, ``best.pt`` (never pruned)."""
    folder = run_dir / run_folder.CHECKPOINT_DIR
    folder.mkdir(exist_ok=True)
    if best is not None:
        save_checkpoint(folder / BEST_NAME, {**state_to_checkpoint(state, config), "best": best})
        return
    save_checkpoint(folder / checkpoint_name(state.step), state_to_checkpoint(state, config))
    prune_checkpoints(folder, config.keep_checkpoints)
