"""Disentanglement metrics that draw their own samples: the FactorVAE and BetaVAE scores, and all five.

Both need observations drawn with chosen factors held fixed, so they take a ``GroundTruth``
sampler and a ``represent`` callable (observations -> codes); ``compute_all`` runs them and
the array metrics of ``infogan.evaluate.disentanglement`` (MIG, DCI, SAP) from those two.
Sample sizes and estimators follow disentanglement_lib (Locatello et al., 2019).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sklearn.linear_model import LogisticRegression

from infogan.errors import InfoganError
from infogan.evaluate.disentanglement import (
    _check_positive,
    compute_dci,
    compute_mig,
    compute_sap,
)

ROWS_PER_CALL = 4096  # observations handed to ``represent`` at once by the sampling metrics


class GroundTruth(Protocol):
    """A data set whose observations come from known discrete factors.

    Factor j takes the values 0 .. factor_sizes[j] - 1. ``rng`` is a NumPy Generator; the
    observations may be any array-like (or tensor) that ``represent`` accepts.
    """

    factor_sizes: tuple[int, ...]

    def sample_factors(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Factors (count, num_factors), ints, drawn from the data set's factor distribution."""
        ...

    def sample_observations_from_factors(self, factors: np.ndarray, rng: np.random.Generator) -> Any:
        """Observations (count, ...) generated from factors (count, num_factors)."""
        ...


Represent = Callable[[Any], np.ndarray]  # observations (count, ...) -> codes (count, num_codes)


@dataclass(frozen=True)
class MetricSizes:
    """Sample sizes of ``compute_all``; the defaults are disentanglement_lib's.

    ``num_train`` / ``num_test`` are points (MIG uses the training points only; DCI and SAP
    both) and also FactorVAE votes and BetaVAE points (train / eval); ``batch_size`` is the
    number of observations behind each FactorVAE vote and BetaVAE point.
    """

    num_train: int = 10_000
    num_test: int = 5_000
    batch_size: int = 64
    num_variance_estimate: int = 10_000
    num_bins: int = 20


REFERENCE_SIZES = MetricSizes()
# Named sizes for ``infogan evaluate --disentanglement``: disentanglement_lib's (about 2.9
# million encoded images), and a tenth of them for a CPU (about 0.3 million).
METRIC_SIZES = {
    "reference": REFERENCE_SIZES,
    "small": MetricSizes(num_train=1_000, num_test=500, num_variance_estimate=2_000),
}


def _check_ground_truth(ground_truth: GroundTruth) -> tuple[int, ...]:
    """The factor sizes, after checking that every factor has at least 2 values."""
    factor_sizes = tuple(int(size) for size in ground_truth.factor_sizes)
    if not factor_sizes or min(factor_sizes) < 2:
        raise InfoganError(f"every factor needs at least 2 values, got factor sizes {factor_sizes}")
    return factor_sizes


def _sample_factors(ground_truth: GroundTruth, count: int, rng: np.random.Generator) -> np.ndarray:
    """Factors (count, num_factors) from the ground truth, checked against its factor sizes."""
    factor_sizes = np.asarray(ground_truth.factor_sizes)
    factors = np.asarray(ground_truth.sample_factors(count, rng))
    if factors.shape != (count, len(factor_sizes)):
        raise InfoganError(f"sample_factors({count}) gave shape {factors.shape}, want {(count, len(factor_sizes))}")
    if (factors < 0).any() or (factors >= factor_sizes).any():
        raise InfoganError(f"sample_factors gave values outside 0 .. factor_sizes - 1 = {factor_sizes - 1}")
    return factors


def _represent_factors(
    ground_truth: GroundTruth, represent: Represent, factors: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Codes (count, num_codes) of observations drawn from factors (count, num_factors)."""
    codes = []
    for start in range(0, len(factors), ROWS_PER_CALL):
        chunk = factors[start : start + ROWS_PER_CALL]
        chunk_codes = np.asarray(represent(ground_truth.sample_observations_from_factors(chunk, rng)), np.float64)
        if chunk_codes.ndim != 2 or len(chunk_codes) != len(chunk):
            raise InfoganError(f"represent gave shape {chunk_codes.shape} for {len(chunk)} observations")
        codes.append(chunk_codes)
    return np.concatenate(codes)


def sample_codes_and_factors(
    ground_truth: GroundTruth, represent: Represent, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Codes (count, num_codes) and factors (count, num_factors) of ``count`` random observations."""
    _check_ground_truth(ground_truth)
    _check_positive(count=count)
    factors = _sample_factors(ground_truth, count, rng)
    return _represent_factors(ground_truth, represent, factors, rng), factors


def _batch_chunks(num_batches: int, batch_size: int) -> Iterator[int]:
    """Numbers of batches per ``represent`` round, so that a round holds about ROWS_PER_CALL rows."""
    per_round = max(1, ROWS_PER_CALL // batch_size)
    for start in range(0, num_batches, per_round):
        yield min(per_round, num_batches - start)


def _sample_fixed_factor_batches(
    ground_truth: GroundTruth, num_batches: int, batch_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Fixed factor (num_batches,) and factors (num_batches, batch_size, num_factors).

    Within batch b every row shares the value of factor fixed[b] (that of the batch's first
    draw); the other factors are drawn independently.
    """
    num_factors = len(ground_truth.factor_sizes)
    fixed = rng.integers(num_factors, size=num_batches)  # (num_batches,)
    factors = _sample_factors(ground_truth, num_batches * batch_size, rng).reshape(num_batches, batch_size, -1)
    batch_index = np.arange(num_batches)
    factors[batch_index, :, fixed] = factors[batch_index, 0, fixed][:, None]
    return fixed, factors


def _represent_batches(
    ground_truth: GroundTruth, represent: Represent, factors: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Codes (num_batches, batch_size, num_codes) for factors (num_batches, batch_size, num_factors)."""
    num_batches, batch_size, _ = factors.shape
    codes = _represent_factors(ground_truth, represent, factors.reshape(num_batches * batch_size, -1), rng)
    return codes.reshape(num_batches, batch_size, -1)


def _sample_global_variances(
    ground_truth: GroundTruth, represent: Represent, count: int, rng: np.random.Generator
) -> np.ndarray:
    """Variance (num_codes,) of each code over ``count`` random observations (ddof 1)."""
    codes, _ = sample_codes_and_factors(ground_truth, represent, count, rng)
    return codes.var(axis=0, ddof=1)


def _sample_factor_vae_votes(
    ground_truth: GroundTruth,
    represent: Represent,
    rng: np.random.Generator,
    num_votes: int,
    batch_size: int,
    global_variances: np.ndarray,
    active: np.ndarray,
) -> np.ndarray:
    """Votes (num_factors, num_codes): how often fixing a factor left a code the least scaled variance.

    Each vote fixes one factor (uniformly chosen) over a batch, and goes to the active code
    whose variance within the batch, divided by its global variance, is smallest.
    """
    votes = np.zeros((len(ground_truth.factor_sizes), len(global_variances)), dtype=np.int64)
    active_codes = np.flatnonzero(active)  # (num_active,)
    for count in _batch_chunks(num_votes, batch_size):
        fixed, factors = _sample_fixed_factor_batches(ground_truth, count, batch_size, rng)
        codes = _represent_batches(ground_truth, represent, factors, rng)  # (count, batch_size, num_codes)
        scaled_variances = codes[:, :, active].var(axis=1, ddof=1) / global_variances[active]  # (count, num_active)
        np.add.at(votes, (fixed, active_codes[scaled_variances.argmin(axis=1)]), 1)
    return votes


def _compute_majority_vote_accuracy(train_votes: np.ndarray, eval_votes: np.ndarray) -> tuple[float, float]:
    """Train and eval accuracy of the classifier code -> the factor with most training votes for it.

    Votes are (num_factors, num_codes); a code with no training votes predicts factor 0.
    """
    predicted_factor = train_votes.argmax(axis=0)  # (num_codes,)
    code_index = np.arange(train_votes.shape[1])
    train_accuracy = train_votes[predicted_factor, code_index].sum() / train_votes.sum()
    eval_accuracy = eval_votes[predicted_factor, code_index].sum() / eval_votes.sum()
    return float(train_accuracy), float(eval_accuracy)


def compute_factor_vae(
    ground_truth: GroundTruth,
    represent: Represent,
    rng: np.random.Generator,
    batch_size: int = 64,
    num_train: int = 10_000,
    num_eval: int = 5_000,
    num_variance_estimate: int = 10_000,
    prune_threshold: float = 0.05,
) -> dict[str, float]:
    """``factor_vae_train`` and ``factor_vae_eval`` accuracies in [0, 1], and ``num_active_codes``.

    FactorVAE score (Kim & Mnih, 2018, "Disentangling by Factorising"), with
    disentanglement_lib's defaults: batch 64, 10,000 train / 5,000 eval votes, global
    variances from 10,000 observations, codes of global standard deviation below 0.05
    pruned (or of zero variance, whatever the threshold). Codes are scaled by their global standard deviation; each vote
    fixes one factor over ``batch_size`` observations and names the code of least variance;
    the classifier predicts, for each code, the factor that most often left it least
    variable. With no active code both accuracies are 0.
    """
    _check_ground_truth(ground_truth)
    _check_positive(num_train=num_train, num_eval=num_eval)
    if batch_size < 2 or num_variance_estimate < 2:
        raise InfoganError(
            f"batch_size and num_variance_estimate need >= 2, got {batch_size} and {num_variance_estimate}"
        )
    global_variances = _sample_global_variances(ground_truth, represent, num_variance_estimate, rng)  # (num_codes,)
    active = (np.sqrt(global_variances) >= prune_threshold) & (global_variances > 0)  # (num_codes,)
    if not active.any():
        return {"factor_vae_train": 0.0, "factor_vae_eval": 0.0, "num_active_codes": 0}
    votes = [
        _sample_factor_vae_votes(ground_truth, represent, rng, count, batch_size, global_variances, active)
        for count in (num_train, num_eval)
    ]
    train_accuracy, eval_accuracy = _compute_majority_vote_accuracy(*votes)
    return {"factor_vae_train": train_accuracy, "factor_vae_eval": eval_accuracy, "num_active_codes": int(active.sum())}


def _sample_beta_vae_points(
    ground_truth: GroundTruth, represent: Represent, rng: np.random.Generator, num_points: int, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Features (num_points, num_codes) and labels (num_points,) for the BetaVAE classifier.

    A point draws ``batch_size`` pairs of observations; the two of a pair share the value of
    one factor (the point's label, the same for all its pairs) and nothing else by design.
    Its feature is the mean over pairs of the absolute code difference.
    """
    num_factors = len(ground_truth.factor_sizes)
    features, labels = [], []
    for count in _batch_chunks(num_points, batch_size):
        fixed = rng.integers(num_factors, size=count)  # (count,)
        first = _sample_factors(ground_truth, count * batch_size, rng).reshape(count, batch_size, -1)
        second = _sample_factors(ground_truth, count * batch_size, rng).reshape(count, batch_size, -1)
        batch_index = np.arange(count)
        second[batch_index, :, fixed] = first[batch_index, :, fixed]  # each pair shares the fixed factor
        first_codes = _represent_batches(ground_truth, represent, first, rng)  # (count, batch_size, num_codes)
        second_codes = _represent_batches(ground_truth, represent, second, rng)
        features.append(np.abs(first_codes - second_codes).mean(axis=1))
        labels.append(fixed)
    return np.concatenate(features), np.concatenate(labels)


def _compute_linear_classifier_accuracy(
    train_features: np.ndarray, train_labels: np.ndarray, eval_features: np.ndarray, eval_labels: np.ndarray, seed: int
) -> tuple[float, float]:
    """Train and eval accuracy of sklearn's default ``LogisticRegression`` on features (N, num_codes)."""
    if len(np.unique(train_labels)) < 2:
        raise InfoganError("the BetaVAE training points fixed a single factor; raise num_train")
    model = LogisticRegression(random_state=seed).fit(train_features, train_labels)
    return float(model.score(train_features, train_labels)), float(model.score(eval_features, eval_labels))


def compute_beta_vae(
    ground_truth: GroundTruth,
    represent: Represent,
    rng: np.random.Generator,
    batch_size: int = 64,
    num_train: int = 10_000,
    num_eval: int = 5_000,
    seed: int = 0,
) -> dict[str, float]:
    """``beta_vae_train`` and ``beta_vae_eval``: accuracies in [0, 1] of predicting the fixed factor.

    BetaVAE score (Higgins et al., 2017, "beta-VAE: Learning Basic Visual Concepts with a
    Constrained Variational Framework"), as disentanglement_lib's ``beta_vae_sklearn``
    (batch 64, 10,000 train / 5,000 eval points): a linear classifier, sklearn's
    ``LogisticRegression`` with default settings, predicts which factor a point fixed.
    """
    _check_ground_truth(ground_truth)
    _check_positive(num_train=num_train, num_eval=num_eval, batch_size=batch_size)
    train_features, train_labels = _sample_beta_vae_points(ground_truth, represent, rng, num_train, batch_size)
    eval_features, eval_labels = _sample_beta_vae_points(ground_truth, represent, rng, num_eval, batch_size)
    train_accuracy, eval_accuracy = _compute_linear_classifier_accuracy(
        train_features, train_labels, eval_features, eval_labels, seed
    )
    return {"beta_vae_train": train_accuracy, "beta_vae_eval": eval_accuracy}


def compute_all(
    ground_truth: GroundTruth, represent: Represent, rng_seed: int = 0, sizes: MetricSizes = REFERENCE_SIZES
) -> dict[str, float]:
    """``mig``, ``dci_disentanglement``, ``dci_completeness``, ``dci_informativeness``, ``sap``,
    ``factor_vae`` and ``beta_vae`` (the eval accuracies) of a representation, all in [0, 1].

    MIG, DCI and SAP share one set of ``sizes.num_train`` training and ``sizes.num_test`` test
    points (disentanglement_lib draws a fresh set per metric); SAP treats factors as discrete.
    Everything is drawn from one Generator seeded with ``rng_seed``, which also seeds the
    classifiers, so equal arguments give equal scores.
    """
    _check_ground_truth(ground_truth)
    rng = np.random.default_rng(rng_seed)
    codes_train, factors_train = sample_codes_and_factors(ground_truth, represent, sizes.num_train, rng)
    codes_test, factors_test = sample_codes_and_factors(ground_truth, represent, sizes.num_test, rng)
    mig = compute_mig(codes_train, factors_train, sizes.num_bins)
    dci = compute_dci(codes_train, factors_train, codes_test, factors_test, seed=rng_seed)
    sap = compute_sap(codes_train, factors_train, codes_test, factors_test, seed=rng_seed)
    factor_vae = compute_factor_vae(
        ground_truth, represent, rng, sizes.batch_size, sizes.num_train, sizes.num_test, sizes.num_variance_estimate
    )
    beta_vae = compute_beta_vae(
        ground_truth, represent, rng, sizes.batch_size, sizes.num_train, sizes.num_test, rng_seed
    )
    return {
        "mig": mig["mig"],
        "dci_disentanglement": dci["dci_disentanglement"],
        "dci_completeness": dci["dci_completeness"],
        "dci_informativeness": dci["dci_informativeness"],
        "sap": sap["sap"],
        "factor_vae": factor_vae["factor_vae_eval"],
        "beta_vae": beta_vae["beta_vae_eval"],
    }
