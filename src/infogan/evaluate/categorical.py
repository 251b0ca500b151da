"""How a run's categorical codes cluster real images: the one scorer that training and evaluation share."""

from __future__ import annotations

import numpy as np
import torch

from infogan.data import to_float_images
from infogan.evaluate.clustering import clustering_scores, hungarian_mapping, matched_confusion, posterior_information
from infogan.evaluate.invariance import invariance_per_code
from infogan.latent import LatentSpec
from infogan.networks import Discriminator
from infogan.sampling import encode


def categorical_scores(
    discriminator: Discriminator,
    spec: LatentSpec,
    images: torch.Tensor,
    labels: torch.Tensor | None,
    output_activation: str,
    detail: bool = False,
) -> dict[str, dict]:
    """Per categorical code, Q's clustering of uint8 images (N, C, H, W) against labels (N,).

    Always ``invariance`` (label-free, see ``infogan.evaluate.invariance``); with labels,
    ``accuracy``, ``nmi`` and ``ari``. With ``detail``: also ``real_information_nats``
    (label-free) and, with labels, ``mapping`` (predicted category -> label), ``matching``
    (every category -> label), ``test_images``, ``confusion_matrix`` and ``confusion_rows``.
    """
    posteriors = encode(discriminator, spec, to_float_images(images, output_activation))
    invariance = invariance_per_code(discriminator, spec, images, output_activation, posteriors)
    label_array = labels.numpy() if labels is not None else None
    scores: dict[str, dict] = {}
    for code in spec.categorical:
        predicted = posteriors[code.name].argmax(dim=1).numpy()
        code_scores = clustering_scores(predicted, label_array) if label_array is not None else {}
        code_scores["invariance"] = invariance[code.name]
        if detail:
            code_scores.update(_detail(predicted, posteriors[code.name].numpy(), label_array, code.categories))
        scores[code.name] = code_scores
    return scores


def _detail(predicted: np.ndarray, probabilities: np.ndarray, labels: np.ndarray | None, categories: int) -> dict:
    detail: dict = {"real_information_nats": posterior_information(probabilities)}
    if labels is None:
        return detail
    confusion, rows = matched_confusion(predicted, labels, categories)
    return {
        **detail,
        "mapping": {str(k): v for k, v in hungarian_mapping(predicted, labels).items()},
        "matching": hungarian_mapping(predicted, labels, categories),
        "test_images": len(labels),
        "confusion_matrix": confusion,
        "confusion_rows": rows,
    }
