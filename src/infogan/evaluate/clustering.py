"""Clustering scores of a categorical code: accuracy after Hungarian matching, NMI, ARI.

Category k of a code is not digit k: the mapping is arbitrary, so accuracy is computed
after the one-to-one assignment of categories to labels that maximises agreement.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def contingency_table(predicted: np.ndarray, labels: np.ndarray, categories: int | None = None) -> np.ndarray:
    """Counts (num_categories, num_labels): row = predicted category, column = true label.

    ``categories`` gives every category of the code a row, predicted or not; without it the
    rows go up to the largest predicted category.
    """
    predicted, labels = np.asarray(predicted, dtype=np.int64), np.asarray(labels, dtype=np.int64)
    rows = categories if categories is not None else predicted.max(initial=0) + 1
    table = np.zeros((rows, labels.max(initial=0) + 1), dtype=np.int64)
    np.add.at(table, (predicted, labels), 1)
    return table


def hungarian_mapping(predicted: np.ndarray, labels: np.ndarray, categories: int | None = None) -> dict[int, int]:
    """The one-to-one category -> label assignment that maximises matched counts.

    With ``categories``, every category of the code takes part (so each gets a label when
    there are at least as many labels as categories); without, only rows up to the largest
    predicted category.
    """
    table = contingency_table(predicted, labels, categories)
    category_index, label_index = linear_sum_assignment(table, maximize=True)
    return {int(c): int(label) for c, label in zip(category_index, label_index)}


def matched_confusion(predicted: np.ndarray, labels: np.ndarray, categories: int) -> tuple[list[list[int]], list[int]]:
    """Counts (categories, num_labels) with rows in matched order, and the category of each row.

    Rows are sorted by the label each category is matched to (with as many categories as
    labels, row i is the category matched to label i and a perfect code is diagonal);
    categories left without a label follow, in index order.
    """
    table = contingency_table(predicted, labels, categories)
    mapping = hungarian_mapping(predicted, labels, categories)
    matched = sorted(mapping, key=mapping.get)
    order = matched + [category for category in range(categories) if category not in mapping]
    return table[order].tolist(), order


def clustering_accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of items whose category maps to their label under the Hungarian matching."""
    table = contingency_table(predicted, labels)
    category_index, label_index = linear_sum_assignment(table, maximize=True)
    return float(table[category_index, label_index].sum() / max(len(labels), 1))


def clustering_scores(predicted: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """``accuracy``, ``nmi`` (arithmetic normalisation) and ``ari`` of a clustering."""
    return {
        "accuracy": clustering_accuracy(predicted, labels),
        "nmi": float(normalized_mutual_info_score(labels, predicted)),
        "ari": float(adjusted_rand_score(labels, predicted)),
    }


def posterior_information(probabilities: np.ndarray) -> float:
    """Label-free mutual information between a categorical code and the images, in nats.

    probabilities: (N, k) Q posteriors on real images. Returns H(mean posterior) minus the
    mean posterior entropy: ln k when every image gets one confident category and the
    categories are used equally, 0 when the posteriors ignore the image.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    marginal = probabilities.mean(axis=0)
    marginal_entropy = -np.sum(marginal * np.log(np.clip(marginal, 1e-12, None)))
    conditional_entropy = -np.sum(probabilities * np.log(np.clip(probabilities, 1e-12, None)), axis=1).mean()
    return float(marginal_entropy - conditional_entropy)
