"""dSprites: the factor grid and its order, the renderer, packed storage, the original-file reader,
``ground_truth_of`` and a short training run. Never renders the full grid: sub-grids, a few
indices, and a cache in each test's own folder (``INFOGAN_CACHE``)."""

from __future__ import annotations

import functools
import json
import math
import zipfile

import numpy as np
import pytest
import torch

from infogan.data import load_dataset
from infogan.data.packed import GridGroundTruth, PackedImages, pack_images
from infogan.data.rendered import RENDERED_SETS, ground_truth_of
from infogan.data.rendered.dsprites import (
    FACTORS,
    GRID_SIZES,
    SQUARE_SIDE,
    DSprites,
    grid_indices,
    grid_values,
    render_sprites,
)
from infogan.errors import DataError
from infogan.presets import PRESETS
from infogan.trainer import train


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOGAN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


class SmallDSprites(DSprites):
    """The grid's first two (shape, scale, orientation) combinations: 2,048 images, 100 test images."""

    train_size = 2048
    test_size = 100
    chunk = 1


def _index(shape=0, scale=5, orientation=0, x=16, y=16) -> int:
    return int(np.ravel_multi_index((shape, scale, orientation, x, y), GRID_SIZES))


def _render(*indices: int) -> np.ndarray:
    """uint8 0/255 images (N, 1, 64, 64) of grid indices, rasterised (no cache)."""
    return DSprites().render(grid_values(np.array(indices)), np.random.default_rng(0))


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, columns = np.nonzero(image.reshape(64, 64))
    return float(rows.mean()), float(columns.mean())


def test_the_factor_grid_is_the_originals_with_position_y_fastest():
    assert GRID_SIZES == (3, 6, 40, 32, 32) and math.prod(GRID_SIZES) == 737_280 == DSprites.train_size
    assert [factor.name for factor in FACTORS] == ["shape", "scale", "orientation", "position_x", "position_y"]
    assert FACTORS[0].names == ("square", "ellipse", "heart") and not any(f.continuous for f in FACTORS)
    assert FACTORS[2].kind == "circular" and FACTORS[2].grid()[[0, -1]].tolist() == [0.0, 2 * math.pi]
    np.testing.assert_allclose(grid_values(np.array([0]))[0], [0, 0.5, 0, 0, 0])
    np.testing.assert_allclose(grid_values(np.array([1]))[0], [0, 0.5, 0, 0, 1 / 31])  # y moves first
    np.testing.assert_allclose(grid_values(np.array([32]))[0], [0, 0.5, 0, 1 / 31, 0])  # then x
    np.testing.assert_allclose(grid_values(np.array([32 * 32]))[0], [0, 0.5, 2 * math.pi / 39, 0, 0])
    np.testing.assert_allclose(grid_values(np.array([737_279]))[0], [2, 1, 2 * math.pi, 1, 1])
    indices = np.random.default_rng(0).integers(737_280, size=500)
    assert np.array_equal(grid_indices(grid_values(indices)), indices)


def test_rendered_images_are_binary_uint8_and_deterministic():
    indices = (_index(0), _index(1, 2, 7, 3, 29), _index(2, 0, 33, 31, 0))
    images = _render(*indices)
    assert images.shape == (3, 1, 64, 64) and images.dtype == np.uint8
    assert set(np.unique(images).tolist()) == {0, 255}
    assert np.array_equal(images, _render(*indices))
    assert (images.reshape(3, -1) > 0).sum(1).min() > 20  # every sprite is drawn


def test_each_factor_moves_the_image_as_it_should():
    by_x = _render(*(_index(x=x, y=5) for x in (0, 10, 20, 31)))
    columns = [_centre_of_mass(image)[1] for image in by_x]
    assert np.all(np.diff(columns) > 9) and 14 < columns[0] < 18 and 46 < columns[-1] < 50
    by_y = _render(*(_index(x=5, y=y) for y in (0, 15, 31)))
    assert np.all(np.diff([_centre_of_mass(image)[0] for image in by_y]) > 14)  # y grows downwards
    areas = [(image > 0).sum() for image in _render(*(_index(scale=scale) for scale in range(6)))]
    assert np.all(np.diff(areas) > 0) and abs(areas[-1] / SQUARE_SIDE**2 - 1) < 0.05
    assert abs(areas[0] / areas[-1] - 0.25) < 0.03  # scale 0.5: a quarter of the area
    square, ellipse, heart = _render(_index(0), _index(1), _index(2))
    assert min(np.sum(square != ellipse), np.sum(square != heart), np.sum(ellipse != heart)) > 50
    start, turned, end = _render(_index(orientation=0), _index(orientation=5), _index(orientation=39))
    assert np.array_equal(start, end)  # 0 and 2 pi, both on the grid
    assert np.sum(start != turned) > 30 and abs(int((start > 0).sum()) - int((turned > 0).sum())) < 25


def test_packed_images_round_trip_and_index_like_a_tensor(tmp_path):
    images = (np.random.default_rng(0).random((10, 1, 5, 7)) < 0.5).astype(np.uint8) * 255  # 35 bits: padding
    packed = PackedImages(pack_images(images), (1, 5, 7))
    assert len(packed) == 10 and packed.shape == torch.Size((10, 1, 5, 7)) and packed.dtype == torch.uint8
    assert torch.equal(packed[torch.arange(10)], torch.from_numpy(images))
    assert torch.equal(packed[torch.tensor([7, 2, 2])], torch.from_numpy(images[[7, 2, 2]]))
    assert torch.equal(packed[3], torch.from_numpy(images[3])) and torch.equal(
        packed[2:5], torch.from_numpy(images[2:5])
    )
    assert packed.to("cpu")[np.array([1])].device == torch.device("cpu")
    loaded = PackedImages.load(packed.save(tmp_path / "bits.npy"), (1, 5, 7))
    assert torch.equal(loaded[np.arange(10)], torch.from_numpy(images))
    with pytest.raises(DataError, match="uint8"):
        PackedImages(pack_images(images), (1, 8, 8))


def test_the_training_split_is_the_packed_grid_and_rendered_once(cache_dir, monkeypatch):
    small = SmallDSprites()
    images, values = small.load_split("train")
    assert isinstance(images, PackedImages) and images.shape == (2048, 1, 64, 64)
    assert np.array_equal(values, grid_values(np.arange(2048)))
    batch = images[torch.tensor([0, 1000, 2047])]
    assert torch.equal(batch, torch.from_numpy(_render(0, 1000, 2047)))
    assert small.cache_path().stat().st_size < 2048 * 600  # bits, not bytes
    monkeypatch.setattr(SmallDSprites, "render_grid", lambda *_: pytest.fail("rendered twice"))
    test_images, test_values = small.load_split("test")
    assert test_images.shape == (100, 1, 64, 64) and test_values.shape == (100, 5)
    rows = grid_indices(test_values)
    assert len(set(rows.tolist())) == 100 and np.array_equal(test_images, images.numpy(rows))
    assert np.array_equal(small.render(test_values, np.random.default_rng(0)), test_images)  # a lookup now
    off_grid = grid_values(np.array([5])) + [0, 0, 0, 0.5 / 31, 0]  # half a step right: drawn, not looked up
    assert np.sum(small.render(off_grid, None) != images.numpy(np.array([5]))) > 0


def test_load_dataset_serves_dsprites_packed_and_refuses_another_format(monkeypatch):
    monkeypatch.setitem(RENDERED_SETS, "dsprites", SmallDSprites)
    train_set = load_dataset("dsprites", "train", size=64, channels=1)
    assert isinstance(train_set.images, PackedImages) and len(train_set) == 2048
    assert train_set.factors.shape == (2048, 5) and train_set.factor_spec == FACTORS
    assert isinstance(load_dataset("dsprites", "test").images, torch.Tensor)
    with pytest.raises(DataError, match="64x64 grey architecture") as error:
        load_dataset("dsprites", "train", size=32, channels=1)
    assert "\n" not in str(error.value)


@functools.cache
def _sub_grid_arrays() -> dict[str, np.ndarray]:
    """The arrays of a file in the original's format (keys, dtypes, layout) on the sub-grid (3, 2, 2, 4, 4)."""
    picked = [np.arange(3), np.array([0, 5]), np.array([0, 10]), np.array([0, 9, 20, 31]), np.array([3, 4, 5, 30])]
    combos = np.stack(np.meshgrid(*picked, indexing="ij"), axis=-1).reshape(-1, 5)
    classes = np.concatenate([np.zeros((len(combos), 1), np.int64), combos], axis=1)
    factor_values = grid_values(np.ravel_multi_index(combos.T, GRID_SIZES))
    values = np.concatenate([np.ones((len(combos), 1)), factor_values], axis=1)
    values[:, 1] += 1  # the original's shape values are 1, 2, 3
    imgs = render_sprites(factor_values).astype(np.uint8)
    return {"imgs": imgs, "latents_values": values, "latents_classes": classes}


def _write_dsprites_file(path, **changes) -> np.ndarray:
    """Write the sub-grid file (an array of ``changes`` None: left out); returns its imgs (N, 64, 64)."""
    arrays = dict(_sub_grid_arrays())
    arrays["metadata"] = np.array({"latents_sizes": np.array([1, 3, 6, 40, 32, 32])}, dtype=object)
    arrays.update(changes)
    np.savez_compressed(path, **{key: value for key, value in arrays.items() if value is not None})
    return arrays["imgs"]


def test_the_original_file_format_reads_with_its_factors_and_ground_truth(tmp_path):
    path = tmp_path / "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
    imgs = _write_dsprites_file(path)
    train_set = load_dataset(str(path), "train", size=64, channels=1)
    assert isinstance(train_set.images, PackedImages) and train_set.images.shape == (192, 1, 64, 64)
    assert torch.equal(train_set.images[torch.arange(192)], torch.from_numpy(imgs[:, None] * 255))
    assert train_set.factors.shape == (192, 5) and train_set.factors[:, 0].tolist() == [0] * 64 + [1] * 64 + [2] * 64
    assert [factor.size for factor in train_set.factor_spec] == [3, 2, 2, 4, 4]
    assert train_set.factor_spec[0].names == ("square", "ellipse", "heart")
    assert train_set.factor_spec[1].low == 0.5 and train_set.factor_spec[1].high == 1.0
    test_set = load_dataset(str(path), "test")
    assert test_set.images.shape == (192, 1, 64, 64) and isinstance(test_set.images, torch.Tensor)
    truth = ground_truth_of(str(path))
    assert isinstance(truth, GridGroundTruth) and truth.factor_sizes == (3, 2, 2, 4, 4)
    factors = truth.sample_factors(50, np.random.default_rng(0))
    assert factors.shape == (50, 5) and (factors < np.array([3, 2, 2, 4, 4])).all()
    observations = truth.sample_observations_from_factors(factors, np.random.default_rng(0))
    assert np.array_equal(observations, imgs[np.ravel_multi_index(factors.T, (3, 2, 2, 4, 4))][:, None] * 255)


def test_ground_truth_of_other_sources(monkeypatch):
    assert ground_truth_of("mnist") is None and ground_truth_of("/no/such/file.npz") is None
    monkeypatch.setattr(
        DSprites, "packed_grid", lambda self: PackedImages(np.zeros((737_280, 512), np.uint8), (1, 64, 64))
    )
    truth = ground_truth_of("dsprites")
    assert isinstance(truth, GridGroundTruth) and truth.factor_sizes == GRID_SIZES


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"latents_values": None}, "lacks latents_values"),
        ({"imgs": np.zeros((192, 64, 64), np.float32)}, "imgs must be uint8"),
        ({"imgs": np.full((192, 64, 64), 2, np.uint8)}, "0/1 pixels"),
        ({"imgs": np.zeros((191, 64, 64), np.uint8)}, "191 images but 192 rows"),
        ({"latents_classes": np.zeros((192, 5), np.int64)}, "latents_classes must be integer"),
        ({"latents_values": np.zeros((190, 6))}, "190 rows of latents_values but 192"),
    ],
)
def test_bad_dsprites_files_are_one_line_errors(tmp_path, changes, message):
    path = tmp_path / "bad.npz"
    _write_dsprites_file(path, **changes)
    with pytest.raises(DataError, match=message) as error:
        load_dataset(str(path), "train")
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_a_file_whose_rows_are_out_of_order_is_refused(tmp_path):
    path = tmp_path / "shuffled.npz"
    _write_dsprites_file(path)
    with np.load(path, allow_pickle=True) as archive:
        arrays = {key: archive[key] for key in archive.files}
    order = np.random.default_rng(0).permutation(192)
    np.savez(path, **{key: value[order] if key != "metadata" else value for key, value in arrays.items()})
    with pytest.raises(DataError, match="not the whole grid"):
        load_dataset(str(path), "train")
    with zipfile.ZipFile(path) as archive:
        assert "imgs.npy" in archive.namelist()  # detected as dSprites, not read as a generic .npz
    assert len(load_dataset(f"{path}:imgs", "train")) == 173  # named arrays: the generic reader (a held-out tenth)


@pytest.mark.slow
def test_two_training_steps_on_a_small_dsprites_resume_exactly(tmp_path, monkeypatch):
    monkeypatch.setitem(RENDERED_SETS, "dsprites", SmallDSprites)
    config = PRESETS["dsprites"].with_changes(steps=2, batch_size=8, log_every=1, checkpoint_every=1, device="cpu")
    straight = train(config, tmp_path / "straight", progress=False)
    assert len(_metrics(straight)) == 2 and (straight / "traversal.png").is_file()
    train(config.with_changes(steps=1), tmp_path / "resumed", progress=False)
    resumed = train(config, tmp_path / "resumed", resume=True, progress=False)
    assert _metrics(resumed) == _metrics(straight)  # bit-identical: spectral norm's state is checkpointed


def _metrics(run_dir) -> list[dict]:
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{key: value for key, value in line.items() if key != "time_s"} for line in lines]
