"""The label-free invariance of a categorical code: the nudge it uses and the agreement score."""

import pytest
import torch

from infogan.data import load_dataset
from infogan.evaluate.invariance import category_agreement, nudged_images, pixel_offsets, random_pixel_shift


def centroids(images: torch.Tensor) -> torch.Tensor:
    """(N, 2) intensity centroid (column, row) of images (N, 1, H, W), in pixels."""
    grid_rows, grid_columns = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    mass = images.sum(dim=(1, 2, 3))
    return torch.stack(
        [(images[:, 0] * grid_columns).sum(dim=(1, 2)) / mass, (images[:, 0] * grid_rows).sum(dim=(1, 2)) / mass], dim=1
    )


def with_empty_border(images: torch.Tensor, width: int = 2) -> torch.Tensor:
    """The images (N, 1, 28, 28) whose outer ``width`` pixels hold no ink (so a shift loses none)."""
    inner = torch.zeros(28, 28, dtype=torch.bool)
    inner[width:-width, width:-width] = True
    return images[(images[:, 0, ~inner] == 0).all(dim=1)]


def test_offsets_are_every_whole_pixel_move_but_none():
    offsets = pixel_offsets(2)
    assert len(offsets) == 24 and offsets.abs().max() == 2
    assert not (offsets == 0).all(dim=1).any() and len({tuple(o) for o in offsets.tolist()}) == 24


def test_shift_moves_whole_pixels_and_keeps_every_value():
    """Every moved image is its original displaced by one of the 24 offsets: no value is resampled."""
    images = with_empty_border(load_dataset("mnist", "test").images[:520])[:500]
    moved = random_pixel_shift(images, 2, seed=2)
    assert moved.dtype == torch.uint8
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    used = set()
    for image, shifted, original in zip(images, moved, padded):
        matches = [
            (r, c)
            for r, c in pixel_offsets(2).tolist()
            if torch.equal(shifted, original[:, 2 - r : 30 - r, 2 - c : 30 - c])
        ]
        assert len(matches) == 1 and torch.equal(shifted.flatten().sort().values, image.flatten().sort().values)
        used.add(matches[0])
    assert len(used) == 24  # 500 draws use every offset


def test_bad_shift_limit_is_refused():
    images = load_dataset("mnist", "test").images[:4]
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="max_shift_px"):
            random_pixel_shift(images, bad, seed=0)


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
    """Binning MNIST digits by ink (unchanged by a shift) keeps every category, binning them
    by horizontal position (the kind of style split we detect) few; so does binning them by
    sharpness (the share of ink at full intensity), which a resampling nudge would change."""
    images = with_empty_border(load_dataset("mnist", "test").images[:2000])
    plain, moved = images.float() / 255, nudged_images(images, "sigmoid", seed=0)

    def bins(values: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
        return torch.bucketize(values.contiguous(), edges)

    ink_edges = torch.quantile(plain.sum(dim=(1, 2, 3)), torch.linspace(0.1, 0.9, 9))
    column_edges = torch.quantile(centroids(plain)[:, 0], torch.linspace(0.1, 0.9, 9))
    by_ink = category_agreement(bins(plain.sum(dim=(1, 2, 3)), ink_edges), bins(moved.sum(dim=(1, 2, 3)), ink_edges))
    by_position = category_agreement(
        bins(centroids(plain)[:, 0], column_edges), bins(centroids(moved)[:, 0], column_edges)
    )
    sharpness = lambda x: (x >= 0.99).sum(dim=(1, 2, 3)) / (x > 0).sum(dim=(1, 2, 3))  # noqa: E731
    sharp_edges = torch.quantile(sharpness(plain), torch.linspace(0.1, 0.9, 9))
    by_sharpness = category_agreement(bins(sharpness(plain), sharp_edges), bins(sharpness(moved), sharp_edges))
    assert by_ink == 1.0 and by_sharpness == 1.0 and by_position < 0.5
