import numpy as np
import pytest

from infogan.evaluate.clustering import clustering_accuracy, clustering_scores, hungarian_mapping, posterior_information


def test_permuted_labelling_scores_one():
    labels = np.repeat(np.arange(10), 50)
    permutation = np.random.default_rng(0).permutation(10)
    predicted = permutation[labels]
    expected = {"accuracy": 1.0, "nmi": pytest.approx(1.0), "ari": pytest.approx(1.0)}
    assert clustering_scores(predicted, labels) == expected
    mapping = hungarian_mapping(predicted, labels)
    assert all(mapping[int(permutation[k])] == k for k in range(10))


def test_random_labels_score_near_chance():
    rng = np.random.default_rng(0)
    labels, predicted = rng.integers(0, 10, 20000), rng.integers(0, 10, 20000)
    scores = clustering_scores(predicted, labels)
    assert 0.09 < scores["accuracy"] < 0.12
    assert scores["nmi"] < 0.01 and abs(scores["ari"]) < 0.01


def test_small_hand_computed_case():
    # Two clusters; one of six items is misplaced.
    labels = np.array([0, 0, 0, 1, 1, 1])
    predicted = np.array([1, 1, 0, 0, 0, 0])
    assert clustering_accuracy(predicted, labels) == pytest.approx(5 / 6)
    # ARI by hand: contingency [[1,3],[2,0]]: sum C(n_ij,2)=0+3+1+0=4, a=[4,2]->6+1=7, b=[3,3]->3+3=6, C(6,2)=15
    expected_ari = (4 - 7 * 6 / 15) / (0.5 * (7 + 6) - 7 * 6 / 15)
    assert clustering_scores(predicted, labels)["ari"] == pytest.approx(expected_ari)


def test_posterior_information_is_ln_k_for_confident_balanced_posteriors_and_zero_when_ignoring_images():
    confident = np.eye(10)[np.arange(1000) % 10]  # one-hot, every category used equally
    assert posterior_information(confident) == pytest.approx(np.log(10), abs=1e-9)
    assert posterior_information(np.full((1000, 10), 0.1)) == pytest.approx(0.0, abs=1e-9)
    assert posterior_information(np.eye(10)[np.zeros(1000, dtype=int)]) == pytest.approx(0.0, abs=1e-9)  # one category


def test_posterior_information_hand_computed_two_categories():
    """Posteriors (0.9, 0.1) and (0.1, 0.9): H(0.5, 0.5) - H(0.9, 0.1) = ln 2 - 0.3251 nats."""
    posteriors = np.array([[0.9, 0.1], [0.1, 0.9]])
    expected = np.log(2) + 0.9 * np.log(0.9) + 0.1 * np.log(0.1)
    assert posterior_information(posteriors) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.3681, abs=1e-4)
