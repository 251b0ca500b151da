"""Sample quality through a small MNIST digit classifier: a digit FID and c1 faithfulness.

This is NOT the Inception FID of Heusel et al. (2017) and its numbers are not comparable
with published FIDs: the features are the 128-unit penultimate layer of a small CNN
trained here on the MNIST training set for one epoch (0.981 accuracy on the MNIST test set),
the way MNIST GAN papers often measure. Compare digit FIDs only with digit FIDs from the same
classifier (same cache file).

The trained classifier is cached, by default in ``~/.cache/infogan/digit_classifier.pt``;
the folder can be changed with the environment variable ``INFOGAN_CACHE`` or a path can be
passed to ``load_or_train_classifier``.
"""

from __future__ import annotations

import os
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.linalg import LinAlgWarning, sqrtm
from torch import nn

from infogan.data import load_dataset, to_float_images
from infogan.errors import InfoganError
from infogan.evaluate.clustering import hungarian_mapping
from infogan.files import write_atomic
from infogan.loaded_run import LoadedRun

CACHE_ENV = "INFOGAN_CACHE"
CACHE_FILE = "digit_classifier.pt"
CACHE_VERSION = 1
FEATURE_SIZE = 128


class DigitClassifier(nn.Module):
    """LeNet-like CNN for 28x28 gray digits in [0, 1]: 10 logits, 128 penultimate features."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 64, 7, 7)
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, FEATURE_SIZE),
            nn.ReLU(),  # (B, 128)
        )
        self.head = nn.Linear(FEATURE_SIZE, 10)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (B, 128) for images (B, 1, 28, 28) in [0, 1]."""
        return self.body(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Digit logits (B, 10)."""
        return self.head(self.body(images))


@dataclass
class TrainedClassifier:
    """The classifier in eval mode and its accuracy on the MNIST test set (fraction)."""

    model: DigitClassifier
    test_accuracy: float


def _check_digits(images: torch.Tensor) -> torch.Tensor:
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise InfoganError(f"the digit classifier needs (N, 1, 28, 28) images, got {tuple(images.shape)}")
    return images.float()


def train_classifier(
    images: torch.Tensor, labels: torch.Tensor, epochs: float = 1.0, batch_size: int = 64, seed: int = 0
) -> DigitClassifier:
    """A DigitClassifier trained with Adam (lr 1e-3) on images (N, 1, 28, 28) in [0, 1], labels (N,)."""
    images = _check_digits(images)
    torch.manual_seed(seed)
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order_rng = torch.Generator().manual_seed(seed)
    total_steps = max(1, round(epochs * len(images) / batch_size))
    order = torch.randperm(len(images), generator=order_rng)
    position = 0
    model.train()
    for _ in range(total_steps):
        if position + batch_size > len(images):
            order, position = torch.randperm(len(images), generator=order_rng), 0
        indices = order[position : position + batch_size]
        position += batch_size
        loss = F.cross_entropy(model(images[indices]), labels[indices])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@torch.no_grad()
def classifier_logits(model: DigitClassifier, images: torch.Tensor, chunk_size: int = 1000) -> torch.Tensor:
    """Logits (N, 10) for images (N, 1, 28, 28) in [0, 1], on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model(part.to(device)).cpu() for part in _check_digits(images).split(chunk_size)])


@torch.no_grad()
def classifier_features(model: DigitClassifier, images: torch.Tensor, chunk_size: int = 1000) -> np.ndarray:
    """Penultimate-layer features (N, 128) float64 for images (N, 1, 28, 28) in [0, 1]."""
    model.eval()
    device = next(model.parameters()).device
    parts = [model.features(part.to(device)).cpu() for part in _check_digits(images).split(chunk_size)]
    return torch.cat(parts).double().numpy()


def classifier_accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of images (N, 1, 28, 28) in [0, 1] whose predicted digit equals labels (N,)."""
    predicted = classifier_logits(model, images).argmax(dim=1)
    return float((predicted == labels.cpu()).float().mean())


def default_cache_path() -> Path:
    """``$INFOGAN_CACHE/digit_classifier.pt``, else ``~/.cache/infogan/digit_classifier.pt``."""
    folder = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "infogan"
    return Path(folder) / CACHE_FILE


def _load_cached(path: Path) -> TrainedClassifier | None:
    """The cached classifier, or None when the file is missing, foreign or corrupt."""
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if state.get("version") != CACHE_VERSION:
            return None
        model = DigitClassifier()
        model.load_state_dict(state["model"])
        return TrainedClassifier(model.eval(), float(state["test_accuracy"]))
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, AttributeError, EOFError, pickle.UnpicklingError):
        return None  # a corrupt or foreign cache file is retrained over, never trusted


def load_or_train_classifier(
    cache_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    epochs: float = 1.0,
    train_images: int | None = None,
) -> TrainedClassifier:
    """The cached MNIST classifier; trained (about a minute on a CPU) and cached when absent.

    ``train_images`` limits training to the first N training images (tests use 2,000); the
    reported test accuracy is always on the full MNIST test set (10,000 images).
    """
    path = Path(cache_path) if cache_path is not None else default_cache_path()
    cached = _load_cached(path)
    if cached is not None:
        return cached
    train_set, test_set = load_dataset("mnist", "train", data_dir), load_dataset("mnist", "test", data_dir)
    count = len(train_set.labels) if train_images is None else train_images
    model = train_classifier(to_float_images(train_set.images[:count]), train_set.labels[:count], epochs)
    accuracy = classifier_accuracy(model, to_float_images(test_set.images), test_set.labels)
    state = {
        "version": CACHE_VERSION,
        "model": model.state_dict(),
        "test_accuracy": accuracy,
        "epochs": float(epochs),
        "train_images": int(count),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InfoganError(f"cannot create cache folder {path.parent} ({error.strerror}); set {CACHE_ENV}") from None
    write_atomic(path, lambda stream: torch.save(state, stream))
    return TrainedClassifier(model, accuracy)


def _compute_fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to features (N, D) and (M, D), >= 0.

    ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)), the matrix square root by
    scipy.linalg.sqrtm, its real part kept (round-off leaves a tiny imaginary part).
    """
    features_a, features_b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if features_a.ndim != 2 or features_b.ndim != 2 or features_a.shape[1] != features_b.shape[1]:
        raise InfoganError(f"feature sets must be (N, D) with equal D, got {features_a.shape} and {features_b.shape}")
    if min(len(features_a), len(features_b)) < 2:
        raise InfoganError("the Frechet distance needs at least 2 feature vectors in each set")
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a, cov_b = np.cov(features_a, rowvar=False), np.cov(features_b, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LinAlgWarning)
        try:
            cov_sqrt = sqrtm(cov_a @ cov_b)
        except LinAlgWarning:
            cov_sqrt = np.full_like(cov_a, np.nan)
    if not np.isfinite(cov_sqrt).all():
        # Singular product (dead ReLU units, fewer samples than dimensions): nudge both
        # covariances off zero, as pytorch-fid does.
        offset = np.eye(len(cov_a)) * 1e-6
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LinAlgWarning)
            cov_sqrt = sqrtm((cov_a + offset) @ (cov_b + offset))
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(cov_sqrt))
    return float(max(distance, 0.0))


def _check_mnist_run(run: LoadedRun) -> str:
    """The run's output activation; the digit classifier only knows MNIST."""
    if run.config.dataset != "mnist":
        raise InfoganError(f"the digit classifier is trained on MNIST; run {run.run_dir} uses {run.config.dataset!r}")
    return run.output_activation


def _unit_range(images: torch.Tensor, output_activation: str) -> torch.Tensor:
    """Generated images in G's range -> [0, 1], the classifier's input range."""
    return ((images + 1) / 2 if output_activation == "tanh" else images).clamp(0, 1)


def digit_fid(
    run: LoadedRun,
    classifier: TrainedClassifier | None = None,
    samples: int = 10000,
    seed: int = 0,
    data_dir: str | Path | None = None,
) -> float:
    """Digit FID (not Inception FID) of ``samples`` generated images against the MNIST test set.

    Frechet distance between the classifier's 128-d penultimate features of the 10,000
    test images and of the generated ones (codes and noise from the prior); lower is better.
    """
    activation = _check_mnist_run(run)
    classifier = classifier or load_or_train_classifier(data_dir=data_dir)
    test_set = load_dataset("mnist", "test", data_dir or run.config.data_dir)
    real = classifier_features(classifier.model, to_float_images(test_set.images))
    generated = classifier_features(classifier.model, _unit_range(run.sample(samples, seed), activation))
    return _compute_fid(real, generated)


def c1_faithfulness(
    run: LoadedRun,
    classifier: TrainedClassifier | None = None,
    mapping: dict | None = None,
    per_category: int = 500,
    seed: int = 0,
    code: str | None = None,
    data_dir: str | Path | None = None,
) -> float:
    """Fraction of generated digits the classifier reads as the digit their category stands for.

    For each category k of the categorical ``code`` (default the first), ``per_category``
    images with c = k; the digit k stands for is ``mapping[k]`` (category -> label, e.g.
    ``hungarian_mapping`` with every category), else the Hungarian matching of Q's predictions on the
    test set over all categories. Categories without a label (more categories than digits,
    or left out of ``mapping``) are skipped.
    """
    activation = _check_mnist_run(run)
    name = code or (run.spec.categorical[0].name if run.spec.categorical else None)
    if name is None or not run.spec.code(name).is_categorical:
        raise InfoganError("c1 faithfulness needs a categorical code")
    classifier = classifier or load_or_train_classifier(data_dir=data_dir)
    if mapping is None:
        test_set = load_dataset("mnist", "test", data_dir or run.config.data_dir)
        predicted = run.predict(test_set.images, name).numpy()
        mapping = hungarian_mapping(predicted, test_set.labels.numpy(), run.spec.code(name).categories)
    mapping = {int(category): int(label) for category, label in mapping.items()}
    correct = total = 0
    for category, label in sorted(mapping.items()):
        images = _unit_range(run.sample(per_category, seed + category, {name: category}), activation)
        correct += int((classifier_logits(classifier.model, images).argmax(dim=1) == label).sum())
        total += per_category
    if total == 0:
        raise InfoganError(f"no category of {name} is matched to a label")
    return correct / total
