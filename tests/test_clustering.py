import numpy as np
import pytest

from infogan.evaluate.clustering import clustering_accuracy, clustering_scores, hungarian_mapping


def test_permuted_labelling_scores_one():
    labels = np.repeat(np.arange(10), 50)
    permutation = np.random.default_rng(0).permutation(10)
    predicted = permutation[labels]
    assert clustering_scores(predicted, labels) == {"accuracy": 1.0, "nmi": pytest.approx(1.0), "ari": pytest.approx(1.0)}
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
