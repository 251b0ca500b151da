"""Digit FID: the Frechet distance's oracles, the cached classifier, and both metrics on a tiny run."""

import numpy as np
import pytest
import torch

from infogan.data import load_dataset, to_float_images
from infogan.errors import InfoganError
from infogan.evaluate import fid
from infogan.evaluate.clustering import hungarian_mapping
from infogan.evaluate.fid import (
    DigitClassifier,
    _compute_fid,
    c1_faithfulness,
    classifier_features,
    classifier_logits,
    default_cache_path,
    digit_fid,
    load_or_train_classifier,
)
from infogan.loaded_run import load_run


def gaussian_features(count=2000, dims=16, seed=0):
    return np.random.default_rng(seed).normal(size=(count, dims))


def test_fid_of_a_set_with_itself_is_zero():
    features = gaussian_features()
    assert _compute_fid(features, features) == pytest.approx(0.0, abs=1e-6)


def test_fid_of_a_shift_is_its_squared_length():
    features = gaussian_features()
    shift = np.arange(16) / 8.0
    assert _compute_fid(features, features + shift) == pytest.approx(float(shift @ shift), rel=1e-6)


def test_fid_grows_monotonically_with_added_noise():
    features = gaussian_features()
    noise = gaussian_features(seed=1)
    distances = [_compute_fid(features, features + sigma * noise) for sigma in (0.0, 0.1, 0.3, 1.0, 3.0)]
    assert distances[0] == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.diff(distances) > 0), distances


def test_fid_rejects_mismatched_or_tiny_sets():
    with pytest.raises(InfoganError, match="equal D"):
        _compute_fid(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(InfoganError, match="at least 2"):
        _compute_fid(np.zeros((1, 3)), np.zeros((5, 3)))


def test_classifier_features_are_the_128_unit_penultimate_layer():
    torch.manual_seed(0)
    model = DigitClassifier()
    images = torch.rand(7, 1, 28, 28)
    features = classifier_features(model, images)
    assert features.shape == (7, 128) and features.dtype == np.float64
    assert np.allclose(model.head(torch.from_numpy(features).float()).detach(), model(images).detach(), atol=1e-5)
    with pytest.raises(InfoganError, match=r"\(N, 1, 28, 28\)"):
        classifier_features(model, torch.rand(2, 3, 32, 32))


def test_default_cache_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INFOGAN_CACHE", str(tmp_path))
    assert default_cache_path() == tmp_path / "digit_classifier.pt"
    monkeypatch.delenv("INFOGAN_CACHE")
    assert default_cache_path().parts[-3:] == (".cache", "infogan", "digit_classifier.pt")


@pytest.fixture(scope="module")
def small_classifier(tmp_path_factory):
    """A classifier trained on the first 2,000 MNIST images (a few seconds), cached in a temp folder."""
    path = tmp_path_factory.mktemp("cache") / "digit_classifier.pt"
    return path, load_or_train_classifier(path, epochs=2, train_images=2000)


@pytest.mark.slow
def test_small_classifier_learns_and_is_cached(small_classifier, monkeypatch):
    path, trained = small_classifier
    assert 0.8 < trained.test_accuracy <= 1.0
    assert path.is_file()

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier should have been loaded")

    monkeypatch.setattr(fid, "train_classifier", no_training)
    cached = load_or_train_classifier(path)
    assert cached.test_accuracy == trained.test_accuracy
    images = torch.rand(5, 1, 28, 28)
    assert np.allclose(classifier_features(cached.model, images), classifier_features(trained.model, images))


def test_a_corrupt_cache_is_retrained_over(tmp_path, monkeypatch):
    path = tmp_path / "digit_classifier.pt"
    path.write_bytes(b"not a checkpoint")
    monkeypatch.setattr(fid, "train_classifier", lambda *a, **k: DigitClassifier().eval())
    monkeypatch.setattr(fid, "classifier_accuracy", lambda *a, **k: 0.5)
    assert load_or_train_classifier(path).test_accuracy == 0.5
    assert fid._load_cached(path).test_accuracy == 0.5


@pytest.mark.slow
def test_digit_fid_and_faithfulness_on_the_tiny_run(tiny_run, small_data_dir, small_classifier):
    _, classifier = small_classifier
    run, test_set = load_run(tiny_run), load_dataset("mnist", "test", small_data_dir)
    distance = digit_fid(run, classifier, samples=300, data_dir=small_data_dir)
    # The Frechet distance between the classifier's features of the (500) test images and of
    # 300 samples of seed 0; far from 0: two steps of training do not make digits.
    real = classifier_features(classifier.model, to_float_images(test_set.images))
    assert distance == pytest.approx(_compute_fid(real, classifier_features(classifier.model, run.sample(300, 0))))
    assert distance > 100

    def read_as(mapping: dict[int, int]) -> float:
        """By hand: the fraction of 20 images per category (seed 0 + category) read as mapping[category]."""
        hits = [
            int(
                (
                    classifier_logits(classifier.model, run.sample(20, category, {"c1": category})).argmax(1) == label
                ).sum()
            )
            for category, label in mapping.items()
        ]
        return sum(hits) / (20 * len(mapping))

    identity = {k: k for k in range(10)}
    assert c1_faithfulness(run, classifier, identity, per_category=20) == pytest.approx(read_as(identity))
    # Without a mapping: the Hungarian matching of Q's categories of the test images to their labels.
    matching = hungarian_mapping(run.predict(test_set.images).numpy(), test_set.labels.numpy(), 10)
    faithfulness = c1_faithfulness(run, classifier, per_category=20, data_dir=small_data_dir)
    assert faithfulness == pytest.approx(read_as(matching))
    with pytest.raises(InfoganError, match="no category of c1 is matched to a label"):
        c1_faithfulness(run, classifier, {}, per_category=5)
