"""ModelCentrality: choose among trained runs without labels, by how much each agrees with the others.

Lin, Thekumparampil, Fanti, Oh, "InfoGAN-CR and ModelCentrality: Self-supervised Model
Training and Selection for Disentangling GANs", ICML 2020, arXiv 1906.06034. A disentangled
generator is a data set with known factors: its own codes. For runs i and j, run i's G
renders images from chosen codes (``GeneratorGroundTruth``: the codes are the factors) and
run j's Q encodes them (``q_representation``); the FactorVAE score of that pair,
``score[i, j]``, says how well j's codes line up one-to-one with i's. The similarity of two
runs is the symmetrised score, (score[i, j] + score[j, i]) / 2; a run's centrality is its
mean similarity to the others, and the most central run (the medoid) is chosen. Runs that
disentangle agree with each other in this way; runs that entangle agree with nobody.

The FactorVAE score is ``disentanglement_sampled.compute_factor_vae``: discrete factors, so
each continuous code takes the ``grid_size`` midpoints of equally likely cells of its prior
(``Code.grid_values``); a categorical code takes its categories. Q's representation of an
image is one number per code: the most probable category, or the posterior mean. Sample
sizes (``CentralitySizes``) follow the authors' code (github fjxmlzn/InfoGAN-CR,
InfoGAN-CR_dSprites/gan_task_mc_generate_metric_data.py: 500 votes of 100 images each; the
global variances from 73,728 images, a tenth of dSprites, here 10,000 by default; there the
fixed code keeps its continuous value, and the vote classifier is scored on the votes it was
fitted on, here on as many fresh ones).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from infogan.config import MAX_SEED
from infogan.errors import InfoganError
from infogan.evaluate.disentanglement_sampled import compute_factor_vae
from infogan.latent import LatentSpec
from infogan.loaded_run import load_run
from infogan.sampling import codes_batch, encode, generate


class Model(Protocol):
    """What ModelCentrality needs of a run (a ``LoadedRun`` has it): G, D/Q and the latent spec."""

    generator: torch.nn.Module
    discriminator: torch.nn.Module
    spec: LatentSpec


@dataclass(frozen=True)
class CentralitySizes:
    """Samples behind each pair's FactorVAE score: ``num_votes`` votes to fit the majority-vote
    classifier and as many to score it, each of ``batch_size`` images; global variances from
    ``num_variance_estimate`` images; ``grid_size`` cells per continuous code."""

    batch_size: int = 100
    num_votes: int = 500
    num_variance_estimate: int = 10_000
    grid_size: int = 10

    def __post_init__(self) -> None:
        for name in ("batch_size", "num_votes", "num_variance_estimate", "grid_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise InfoganError(f"{name} must be an integer >= 2, got {value!r}")


class GeneratorGroundTruth:
    """A generator as a ``GroundTruth``: factor j is code j (continuous codes on a grid), the
    observations are G's images (N, C, H, W) from those codes and fresh noise."""

    def __init__(self, generator: torch.nn.Module, spec: LatentSpec, grid_size: int):
        self.generator, self.spec = generator, spec
        self.grids = [code.grid_values(code.categories if code.is_categorical else grid_size) for code in spec.codes]
        self.factor_sizes = tuple(len(grid) for grid in self.grids)

    def sample_factors(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Grid indices (count, num_codes), each code's cells equally likely (as its prior)."""
        return np.stack([rng.integers(size, size=count) for size in self.factor_sizes], axis=1)

    def sample_observations_from_factors(self, factors: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        device = next(self.generator.parameters()).device
        batch = codes_batch(self.spec, len(factors), seed=int(rng.integers(MAX_SEED)), device=device)
        for column, (code, grid) in enumerate(zip(self.spec.codes, self.grids)):
            batch.codes[code.name] = grid[torch.from_numpy(factors[:, column])].to(device)
        return generate(self.generator, self.spec, batch)  # (count, C, H, W)


def q_representation(discriminator: torch.nn.Module, spec: LatentSpec) -> Callable[[torch.Tensor], np.ndarray]:
    """images (N, C, H, W) -> (N, num_codes): Q's most probable category or posterior mean per code."""

    def represent(images: torch.Tensor) -> np.ndarray:
        posterior = encode(discriminator, spec, images)
        columns = [
            posterior[code.name].argmax(dim=1).float() if code.is_categorical else posterior[code.name][:, 0]
            for code in spec.codes
        ]
        return torch.stack(columns, dim=1).numpy()

    return represent


def _factor_layout(spec: LatentSpec) -> tuple[tuple[bool, int], ...]:
    return tuple((code.is_categorical, code.categories) for code in spec.codes)


def _check_models(models: Sequence[Model], names: Sequence[str]) -> None:
    if len(models) < 2:
        raise InfoganError(f"ModelCentrality compares runs with each other: give at least two, got {len(models)}")
    counts = sorted({len(model.spec.codes) for model in models})
    if len(counts) > 1:
        raise InfoganError(
            f"the runs have different numbers of codes ({', '.join(map(str, counts))}); "
            "compare runs of one configuration"
        )
    for model, name in zip(models, names):
        if _factor_layout(model.spec) != _factor_layout(models[0].spec):
            raise InfoganError(
                f"{name}'s codes differ in kind or categories from {names[0]}'s; compare runs of one configuration"
            )


def _compute_centrality(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Similarity (n, n) = (scores + scores.T) / 2 (diagonal 1) and centrality (n,): each run's
    mean similarity to the others. scores[i, j]: run j's Q on run i's G."""
    similarity = (scores + scores.T) / 2
    np.fill_diagonal(similarity, 1.0)
    count = len(scores)
    centrality = (similarity.sum(axis=1) - 1.0) / (count - 1)
    return similarity, centrality


def centrality_of_models(
    models: Sequence[Model], sizes: CentralitySizes = CentralitySizes(), seed: int = 0, names: Sequence[str] = ()
) -> dict:
    """``{"scores", "similarity", "centrality", "most_central"}`` of in-memory models: lists, and
    the index of the most central.

    Every encoder j is scored on the same images of run i (one NumPy stream per i from ``seed``).
    """
    names = list(names) or [f"model {index}" for index in range(len(models))]
    _check_models(models, names)
    count = len(models)
    scores = np.zeros((count, count))
    for i, truth_model in enumerate(models):
        truth = GeneratorGroundTruth(truth_model.generator, truth_model.spec, sizes.grid_size)
        for j, encoder_model in enumerate(models):
            if i != j:
                score = compute_factor_vae(
                    truth,
                    q_representation(encoder_model.discriminator, encoder_model.spec),
                    np.random.default_rng([seed, i]),
                    batch_size=sizes.batch_size,
                    num_train=sizes.num_votes,
                    num_eval=sizes.num_votes,
                    num_variance_estimate=sizes.num_variance_estimate,
                )
                scores[i, j] = score["factor_vae_eval"]
    similarity, centrality = _compute_centrality(scores)
    return {
        "scores": scores.tolist(),
        "similarity": similarity.tolist(),
        "centrality": centrality.tolist(),
        "most_central": int(centrality.argmax()),
    }


def model_centrality(
    run_dirs: Sequence[str | Path], device: str = "cpu", seed: int = 0, sizes: CentralitySizes = CentralitySizes()
) -> list[dict]:
    """``[{"run", "step", "centrality", "similarity": {other run: value}}]`` of every run's newest
    checkpoint, most central first (ModelCentrality's choice)."""
    if len(run_dirs) < 2:
        raise InfoganError(f"ModelCentrality compares runs with each other: give at least two, got {len(run_dirs)}")
    runs = [load_run(run_dir, device) for run_dir in run_dirs]
    names = [str(run_dir) for run_dir in run_dirs]
    result = centrality_of_models(runs, sizes, seed, names)
    rows = [
        {
            "run": name,
            "step": run.step,
            "centrality": result["centrality"][i],
            "similarity": {other: result["similarity"][i][j] for j, other in enumerate(names) if j != i},
        }
        for i, (name, run) in enumerate(zip(names, runs))
    ]
    return sorted(rows, key=lambda row: row["centrality"], reverse=True)
