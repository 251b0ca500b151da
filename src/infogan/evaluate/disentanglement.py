"""Disentanglement metrics on arrays: MIG, DCI and SAP.

Each compares a representation (codes, one row per observation) with the ground-truth
factors that generated the observations. Sample sizes and estimators follow
disentanglement_lib (Locatello et al., 2019, "Challenging Common Assumptions in the
Unsupervised Learning of Disentangled Representations"; google-research/disentanglement_lib),
whose defaults are those of its ``unsupervised_study_v1`` metric configs. Codes are arrays
(N, num_codes) of floats, factors (N, num_factors) of discrete values (ints). The FactorVAE
and BetaVAE scores, which need a sampler, are in ``infogan.evaluate.disentanglement_sampled``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import mutual_info_score
from sklearn.svm import LinearSVC

from infogan.errors import InfoganError


def _check_codes_and_factors(codes: Any, factors: Any) -> tuple[np.ndarray, np.ndarray]:
    """Codes (N, num_codes) as float64 and factors (N, num_factors), after checking shapes."""
    codes, factors = np.asarray(codes), np.asarray(factors)
    if codes.ndim != 2 or factors.ndim != 2:
        raise InfoganError(f"codes and factors must be 2-D (N, columns), got shapes {codes.shape} and {factors.shape}")
    if len(codes) != len(factors):
        raise InfoganError(f"codes have {len(codes)} rows but factors {len(factors)}; they must match")
    if len(codes) < 2 or codes.shape[1] < 2 or factors.shape[1] < 1:
        raise InfoganError(f"need >= 2 rows, 2 codes, 1 factor; got codes {codes.shape}, factors {factors.shape}")
    codes = codes.astype(np.float64)
    if not np.isfinite(codes).all():
        raise InfoganError("codes contain NaN or infinite values")
    return codes, factors


def _check_factors_vary(factors: np.ndarray) -> None:
    """Raise if some factor (column of (N, num_factors)) takes a single value."""
    for index in range(factors.shape[1]):
        if len(np.unique(factors[:, index])) < 2:
            raise InfoganError(f"factor {index} takes a single value; every factor needs at least 2")


def _check_train_and_test(
    codes_train: Any, factors_train: Any, codes_test: Any, factors_test: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four arrays, checked: equal columns in train and test, every training factor varying."""
    codes_train, factors_train = _check_codes_and_factors(codes_train, factors_train)
    codes_test, factors_test = _check_codes_and_factors(codes_test, factors_test)
    if codes_test.shape[1] != codes_train.shape[1] or factors_test.shape[1] != factors_train.shape[1]:
        raise InfoganError(
            f"train codes/factors {codes_train.shape}/{factors_train.shape} and test "
            f"{codes_test.shape}/{factors_test.shape}: columns differ"
        )
    _check_factors_vary(factors_train)
    return codes_train, factors_train, codes_test, factors_test


def _histogram_discretise(codes: np.ndarray, num_bins: int) -> np.ndarray:
    """Bin index (N, num_codes), 1 .. num_bins, of each code in num_bins equal-width bins of its range.

    As disentanglement_lib: the edges are np.histogram's, the right edge dropped, so the
    largest value falls in bin num_bins.
    """
    discretised = np.empty(codes.shape, dtype=np.int64)
    for index in range(codes.shape[1]):
        edges = np.histogram_bin_edges(codes[:, index], bins=num_bins)  # (num_bins + 1,)
        discretised[:, index] = np.digitize(codes[:, index], edges[:-1])
    return discretised


def _compute_mutual_information(discretised_codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Mutual information (num_codes, num_factors) in nats between discrete codes and factors."""
    num_codes, num_factors = discretised_codes.shape[1], factors.shape[1]
    information = np.empty((num_codes, num_factors))
    for code in range(num_codes):
        for factor in range(num_factors):
            information[code, factor] = mutual_info_score(factors[:, factor], discretised_codes[:, code])
    return information


def _compute_top_two_gap(scores: np.ndarray) -> np.ndarray:
    """Per factor (num_factors,): best minus second-best score over codes of scores (num_codes, num_factors)."""
    ordered = np.sort(scores, axis=0)  # (num_codes, num_factors), ascending
    return ordered[-1] - ordered[-2]


def _compute_mig_per_factor(codes: np.ndarray, factors: np.ndarray, num_bins: int) -> np.ndarray:
    """Mutual information gap (num_factors,): top-two gap over codes, divided by the factor's entropy."""
    information = _compute_mutual_information(_histogram_discretise(codes, num_bins), factors)
    entropy = np.array([mutual_info_score(column, column) for column in factors.T])  # (num_factors,)
    return _compute_top_two_gap(information) / entropy


def compute_mig(codes: np.ndarray, factors: np.ndarray, num_bins: int = 20) -> dict[str, Any]:
    """``mig`` (mean over factors, in [0, 1]) and ``mig_per_factor`` (list) of codes (N, C) vs factors (N, F).

    Mutual Information Gap (Chen et al., 2018, "Isolating Sources of Disentanglement in
    Variational Autoencoders"), estimated as disentanglement_lib does: each code is cut into
    ``num_bins`` equal-width bins (20 there, on 10,000 points), the mutual information with
    each factor is sklearn's ``mutual_info_score``, and the gap between the two most
    informative codes is divided by the factor's entropy.
    """
    codes, factors = _check_codes_and_factors(codes, factors)
    _check_factors_vary(factors)
    _check_positive(num_bins=num_bins)
    per_factor = _compute_mig_per_factor(codes, factors, num_bins)
    return {"mig": float(per_factor.mean()), "mig_per_factor": per_factor.tolist()}


def _compute_one_minus_entropy(weights: np.ndarray) -> np.ndarray:
    """Per row (rows,) of non-negative weights (rows, outcomes): 1 - entropy of the row, base outcomes.

    A row is normalised to a distribution first; an all-zero row counts as uniform (score 0).
    """
    totals = weights.sum(axis=1, keepdims=True)  # (rows, 1)
    outcomes = weights.shape[1]
    probabilities = np.where(totals > 0, weights / np.where(totals > 0, totals, 1.0), 1.0 / outcomes)
    terms = np.where(probabilities > 0, probabilities * np.log(np.where(probabilities > 0, probabilities, 1.0)), 0.0)
    return 1.0 - (-terms.sum(axis=1)) / math.log(outcomes)


def _compute_dci_from_importance(importance: np.ndarray) -> tuple[float, float]:
    """(disentanglement, completeness), each in [0, 1], of an importance matrix (num_codes, num_factors).

    Disentanglement: per code, 1 - entropy (base num_factors) of its importance over factors,
    averaged with weights = the code's share of the total importance. Completeness: the
    same with codes and factors swapped (entropy base num_codes). An all-zero matrix scores 0.
    """
    importance = np.asarray(importance, dtype=np.float64)
    if importance.ndim != 2 or min(importance.shape) < 2:
        raise InfoganError(f"importance must be (num_codes >= 2, num_factors >= 2), got shape {importance.shape}")
    if (importance < 0).any() or not np.isfinite(importance).all():
        raise InfoganError("importance must be finite and non-negative")
    total = importance.sum()
    if total == 0:
        return 0.0, 0.0
    code_weight = importance.sum(axis=1) / total  # (num_codes,)
    factor_weight = importance.sum(axis=0) / total  # (num_factors,)
    disentanglement = np.sum(code_weight * _compute_one_minus_entropy(importance))
    completeness = np.sum(factor_weight * _compute_one_minus_entropy(importance.T))
    return float(disentanglement), float(completeness)


def _compute_importance_matrix(
    codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray, seed: int
) -> tuple[np.ndarray, float, float]:
    """Importance (num_codes, num_factors) of each code for predicting each factor; train and test accuracy.

    One gradient-boosted tree classifier per factor (sklearn defaults: 100 trees of depth 3);
    importance = its impurity-based feature importances; accuracies are means over factors.
    """
    num_codes, num_factors = codes_train.shape[1], factors_train.shape[1]
    importance = np.zeros((num_codes, num_factors))
    train_accuracy, test_accuracy = np.zeros(num_factors), np.zeros(num_factors)
    for factor in range(num_factors):
        model = GradientBoostingClassifier(random_state=seed).fit(codes_train, factors_train[:, factor])
        importance[:, factor] = np.abs(model.feature_importances_)
        train_accuracy[factor] = np.mean(model.predict(codes_train) == factors_train[:, factor])
        test_accuracy[factor] = np.mean(model.predict(codes_test) == factors_test[:, factor])
    return importance, float(train_accuracy.mean()), float(test_accuracy.mean())


def compute_dci(
    codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray, seed: int = 0
) -> dict[str, float]:
    """``dci_disentanglement``, ``dci_completeness`` (in [0, 1]), ``dci_informativeness`` (test accuracy)
    and ``dci_informativeness_train`` (training accuracy).

    DCI (Eastwood & Williams, 2018, "A Framework for the Quantitative Evaluation of
    Disentangled Representations"), as disentanglement_lib: importances from one sklearn
    ``GradientBoostingClassifier()`` per factor (default settings) fitted on the training
    points (10,000 there; 5,000 test points). ``seed`` fixes the trees' tie-breaking.
    """
    codes_train, factors_train, codes_test, factors_test = _check_train_and_test(
        codes_train, factors_train, codes_test, factors_test
    )
    if factors_train.shape[1] < 2:
        raise InfoganError("DCI needs at least 2 factors")
    importance, train_accuracy, test_accuracy = _compute_importance_matrix(
        codes_train, factors_train, codes_test, factors_test, seed
    )
    disentanglement, completeness = _compute_dci_from_importance(importance)
    return {
        "dci_disentanglement": disentanglement,
        "dci_completeness": completeness,
        "dci_informativeness": test_accuracy,
        "dci_informativeness_train": train_accuracy,
    }


def _compute_sap_discrete_scores(
    codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray, seed: int
) -> np.ndarray:
    """Test accuracy (num_codes, num_factors) of a linear SVM predicting each factor from one code.

    The SVM is disentanglement_lib's: ``LinearSVC(C=0.01, class_weight="balanced")``.
    """
    num_codes, num_factors = codes_train.shape[1], factors_train.shape[1]
    scores = np.zeros((num_codes, num_factors))
    for code in range(num_codes):
        for factor in range(num_factors):
            classifier = LinearSVC(C=0.01, class_weight="balanced", random_state=seed)
            classifier.fit(codes_train[:, code : code + 1], factors_train[:, factor])
            predicted = classifier.predict(codes_test[:, code : code + 1])  # (N_test,)
            scores[code, factor] = np.mean(predicted == factors_test[:, factor])
    return scores


def _compute_sap_continuous_scores(codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Squared correlation (num_codes, num_factors) of each code with each factor; 0 for a constant code."""
    centred_codes = codes - codes.mean(axis=0)  # (N, num_codes)
    centred_factors = factors - factors.mean(axis=0)  # (N, num_factors)
    covariance = centred_codes.T @ centred_factors / (len(codes) - 1)  # (num_codes, num_factors)
    code_variance = centred_codes.var(axis=0, ddof=1)[:, None]  # (num_codes, 1)
    factor_variance = centred_factors.var(axis=0, ddof=1)[None, :]  # (1, num_factors)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = covariance**2 / (code_variance * factor_variance)
    return np.where(code_variance > 1e-12, scores, 0.0)


def compute_sap(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    continuous_factors: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """``sap`` (mean over factors of the gap between the two best codes' scores) and ``sap_per_factor``.

    SAP (Kumar et al., 2018, "Variational Inference of Disentangled Latent Concepts from
    Unlabeled Observations"), as disentanglement_lib: with discrete factors (its default,
    10,000 train / 5,000 test points) a code's score for a factor is the test accuracy of a
    linear SVM on that single code, so a factor with K values scores at most about 1 - 1/K
    and a single linear cut per class caps accuracy for K >= 4; with ``continuous_factors``
    it is the squared correlation on the training points (the test points are then unused).
    """
    codes_train, factors_train, codes_test, factors_test = _check_train_and_test(
        codes_train, factors_train, codes_test, factors_test
    )
    if continuous_factors:
        scores = _compute_sap_continuous_scores(codes_train, factors_train.astype(np.float64))
    else:
        scores = _compute_sap_discrete_scores(codes_train, factors_train, codes_test, factors_test, seed)
    per_factor = _compute_top_two_gap(scores)
    return {"sap": float(per_factor.mean()), "sap_per_factor": per_factor.tolist()}


def _check_positive(**counts: int) -> None:
    """Raise unless every named count is at least 1."""
    for name, count in counts.items():
        if int(count) < 1:
            raise InfoganError(f"{name} must be a positive whole number, got {count}")
