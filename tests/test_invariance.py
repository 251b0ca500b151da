"""The label-free invariance of a categorical code: the nudge it uses and the agreement score."""

import numpy as np
import pytest
import torch

from infogan.data import load_dataset
from infogan.evaluate.attributes import slant_degrees
from infogan.evaluate.invariance import category_agreement, nudged_images, random_small_affine
from test_attributes import ellipse


def centroids(images: torch.Tensor) -> torch.Tensor:
    """(N, 2) intensity centroid (column, row) of images (N, 1, H, W), in pixels."""
    grid_rows, grid_columns = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    mass = images.sum(dim=(1, 2, 3))
    return torch.stack([(images[:, 0] * grid_columns).sum(dim=(1, 2)) / mass,
                        (images[:, 0] * grid_rows).sum(dim=(1, 2)) / mass], dim=1)


def upright_ellipses(count: int) -> torch.Tensor:
    return torch.tensor(np.stack([ellipse(0)] * count), dtype=torch.float32)[:, None]


def test_no_nudge_is_the_identity():
    images = load_dataset("mnist", "test").images[:64].float() / 255
    assert torch.allclose(random_small_affine(images, 0.0, 0.0, seed=0), images, atol=1e-5)


def test_rotation_stays_within_the_limit_and_uses_it():
    rotated = random_small_affine(upright_ellipses(300), max_degrees=20.0, max_shift_px=0.0, seed=1)
    slants = slant_degrees(rotated[:, 0].numpy())
    assert np.abs(slants).max() <= 21.0  # bilinear resampling blurs the angle by a fraction of a degree
    assert np.abs(slants).max() >= 18.0 and np.abs(slants).mean() == pytest.approx(10.0, abs=1.5)
    assert (slants > 5).any() and (slants < -5).any()


def test_shift_stays_within_the_limit_and_keeps_the_ink():
    images = upright_ellipses(300)
    moved = random_small_affine(images, max_degrees=0.0, max_shift_px=2.0, seed=2)
    offsets = centroids(moved) - centroids(images)
    assert offsets.abs().max() <= 2.05 and offsets.abs().max() >= 1.8
    assert moved.sum(dim=(1, 2, 3)) == pytest.approx(images.sum(dim=(1, 2, 3)), rel=1e-3)


def test_nudge_is_seeded_and_leaves_the_global_rng_alone():
    images = load_dataset("mnist", "test").images[:32]
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    first = nudged_images(images, "sigmoid", seed=5)
    assert torch.equal(torch.rand(1), before)
    assert torch.equal(first, nudged_images(images, "sigmoid", seed=5))
    assert not torch.equal(first, nudged_images(images, "sigmoid", seed=6))
    tanh = nudged_images(images, "tanh", seed=5)
    assert torch.allclose(tanh, first * 2 - 1) and tanh.min() >= -1 and first.max() <= 1


def test_agreement_counts_unchanged_categories():
    assert category_agreement(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 0])) == 0.75
    assert category_agreement(torch.tensor([4, 4]), torch.tensor([4, 4])) == 1.0
    with pytest.raises(ValueError):
        category_agreement(torch.tensor([0, 1]), torch.tensor([0]))


def test_identity_like_categories_survive_and_position_categories_do_not():
    """Binning MNIST digits by ink (unchanged by a rotation or shift) keeps far more
    categories than binning them by horizontal position (the kind of style split we detect)."""
    images = load_dataset("mnist", "test").images[:2000]
    plain, moved = images.float() / 255, nudged_images(images, "sigmoid", seed=0)

    def bins(values: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
        return torch.bucketize(values.contiguous(), edges)

    ink_edges = torch.quantile(plain.sum(dim=(1, 2, 3)), torch.linspace(0.1, 0.9, 9))
    column_edges = torch.quantile(centroids(plain)[:, 0], torch.linspace(0.1, 0.9, 9))
    by_ink = category_agreement(bins(plain.sum(dim=(1, 2, 3)), ink_edges), bins(moved.sum(dim=(1, 2, 3)), ink_edges))
    by_position = category_agreement(bins(centroids(plain)[:, 0], column_edges), bins(centroids(moved)[:, 0], column_edges))
    assert by_ink > 0.9 and by_position < 0.5
