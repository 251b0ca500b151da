"""The rendered sets faces3d, chairs3d and svhn-like: each factor moves the pixels as it should,
renders are deterministic, splits round-trip through the cache, and a preset trains on them."""

import numpy as np
import pytest

from infogan.data import load_dataset
from infogan.data.rendered import get_rendered, ground_truth_of, raycast, svhn_like
from infogan.data.rendered.chairs3d import CHAIR_TYPES, Chairs3D
from infogan.data.rendered.faces3d import Faces3D
from infogan.data.rendered.svhn_like import FONTS, NO_DIGIT
from infogan.presets import get_preset
from run_folders import TINY_FLAGS, run_cli

RNG_SEED = 0
SETS = {"faces3d": (1, 32), "chairs3d": (1, 64), "svhn-like": (3, 32)}


def _render(name: str, rows: list, seed: int = RNG_SEED) -> np.ndarray:
    return get_rendered(name).render(np.array(rows, np.float64), np.random.default_rng(seed)).astype(np.int64)


def _face(azimuth=0.0, elevation=0.0, light=0.0, width=1.0) -> list:
    return [azimuth, elevation, light, width]


def _silhouette_columns(image: np.ndarray, background: int) -> int:
    """How many columns of a grey image (1, S, S) hold any pixel off the background."""
    return int((np.abs(image[0] - background) > 8).any(0).sum())


def _front_rays(pixels: int = 8) -> raycast.Rays:
    return raycast.Rays.of(raycast.rotation_y(np.zeros(1)), raycast.screen_coordinates(pixels, 1.0))


def test_rays_meet_a_sphere_and_a_box_where_geometry_says():
    rays = _front_rays()
    x, y = np.meshgrid(rays.x, rays.y)
    entry, exit_ = raycast.ellipsoid_hits(rays, np.zeros((1, 3), np.float32), np.full((1, 3), 0.6, np.float32))
    inside = x**2 + y**2 < 0.36
    depth = np.sqrt(np.where(inside, 0.36 - x**2 - y**2, 0))
    assert np.allclose(entry[0][inside], raycast.CAMERA_DISTANCE - depth[inside], atol=1e-4)
    assert np.allclose(exit_[0][inside], raycast.CAMERA_DISTANCE + depth[inside], atol=1e-4)
    assert np.isinf(entry[0][~inside]).all()
    low, high = np.array([[-0.5, -0.25, -0.1]], np.float32), np.array([[0.5, 0.25, 0.3]], np.float32)
    entry, axis = raycast.box_hits(rays, low, high)
    inside = (np.abs(x) < 0.5) & (np.abs(y) < 0.25)
    assert np.allclose(entry[0][inside], raycast.CAMERA_DISTANCE - 0.3) and (axis[0][inside] == 2).all()
    assert np.isinf(entry[0][~inside]).all()
    span = raycast.pixel_span(np.array([-0.1, 0.1]), rays.x)  # pixels 3 and 4 reach into [-0.1, 0.1]
    assert span.start <= 3 and span.stop >= 5 and span.stop - span.start <= 6


@pytest.mark.parametrize("name", SETS)
def test_renders_are_uint8_of_the_set_format_and_deterministic(name):
    rendered = get_rendered(name)
    values = rendered.sample_values(5, np.random.default_rng(3))
    first = rendered.render(values, np.random.default_rng(RNG_SEED))
    channels, size = SETS[name]
    assert first.shape == (5, channels, size, size) and first.dtype == np.uint8
    assert (rendered.image_channels, rendered.image_size) == (channels, size)
    assert np.array_equal(first, rendered.render(values, np.random.default_rng(RNG_SEED)))
    assert first.std() > 20  # not blank
    assert rendered.render(values[:0], np.random.default_rng(RNG_SEED)).shape == (0, channels, size, size)


@pytest.mark.parametrize("name", ["faces3d", "chairs3d"])
def test_an_image_does_not_depend_on_the_batch_it_is_rendered_in(name):
    rendered = get_rendered(name)
    values = rendered.sample_values(70, np.random.default_rng(4))  # chairs3d renders 64 at a time, sorted
    together = rendered.render(values, np.random.default_rng(RNG_SEED))
    alone = [rendered.render(values[index : index + 1], np.random.default_rng(RNG_SEED)) for index in (0, 33, 69)]
    assert all(np.array_equal(together[[index]], image) for index, image in zip((0, 33, 69), alone))


@pytest.mark.parametrize("name", SETS)
def test_the_ground_truth_renders_grid_points(name):
    truth = ground_truth_of(name)
    indices = truth.sample_factors(3, np.random.default_rng(1))
    assert indices.shape == (3, len(get_rendered(name).factors)) and (indices < np.array(truth.factor_sizes)).all()
    images = truth.sample_observations_from_factors(indices, np.random.default_rng(2))
    values = get_rendered(name).values_of_indices(indices)
    assert np.array_equal(images, get_rendered(name).render(values, np.random.default_rng(2)))


def test_faces_mirror_with_azimuth_and_light_and_ignore_the_generator():
    images = _render("faces3d", [_face(35, 12, 50, 1.1), _face(-35, 12, -50, 1.1), _face(0, -20, 0, 0.9)])
    assert np.abs(images[0] - images[1][:, :, ::-1]).max() <= 1
    assert np.abs(images[2] - images[2][:, :, ::-1]).max() <= 1  # frontal and lit from the front: symmetric
    assert np.array_equal(
        images, _render("faces3d", [_face(35, 12, 50, 1.1), _face(-35, 12, -50, 1.1), _face(0, -20, 0, 0.9)], seed=9)
    )


def test_faces_azimuth_and_elevation_change_the_head():
    frontal, turned, raised = _render("faces3d", [_face(), _face(azimuth=60), _face(elevation=30)])
    assert np.abs(frontal - turned).mean() > 10 and np.abs(frontal - raised).mean() > 5
    assert np.abs(turned - turned[:, :, ::-1]).mean() > 10  # a turned head is no longer symmetric


def test_faces_width_widens_the_head_and_light_moves_the_bright_side():
    narrow, wide, from_left, from_right = _render(
        "faces3d", [_face(width=0.8), _face(width=1.2), _face(light=-60), _face(light=60)]
    )
    assert _silhouette_columns(wide, 0) >= _silhouette_columns(narrow, 0) + 3
    left, right = slice(0, 16), slice(16, 32)
    assert from_left[0][:, left].mean() > from_left[0][:, right].mean() + 20
    assert from_right[0][:, right].mean() > from_right[0][:, left].mean() + 20


def _chair(chair_type=0, rotation=30.0, width=1.0) -> list:
    return [chair_type, rotation, width]


def test_chairs_rotation_is_circular_and_changes_the_silhouette():
    images = _render("chairs3d", [_chair(rotation=20), _chair(rotation=380), _chair(rotation=110)])
    assert np.array_equal(images[0], images[1])
    silhouettes = images < 250
    assert (silhouettes[0] != silhouettes[2]).mean() > 0.05


def test_chair_types_all_differ_and_width_widens_the_chair():
    types = _render("chairs3d", [_chair(index) for index in range(len(CHAIR_TYPES))])
    differences = np.abs(types[:, None] - types[None]).mean(axis=(2, 3, 4))
    assert differences[~np.eye(len(types), dtype=bool)].min() > 3
    narrow, wide = _render("chairs3d", [_chair(rotation=0, width=0.8), _chair(rotation=0, width=1.2)])
    assert _silhouette_columns(wide, 255) >= _silhouette_columns(narrow, 255) + 6
    assert len(Chairs3D.factors[0].names) == len(CHAIR_TYPES) >= 8


def _digit(digit=3, font=0, left=NO_DIGIT, right=NO_DIGIT, scale=1.0, rotation=0.0, hues=(200.0, 30.0), polarity=0):
    return [digit, font, left, right, scale, rotation, *hues, polarity]


def test_svhn_like_centre_digit_decides_the_centre_and_renders_repeat():
    digits = _render("svhn-like", [_digit(digit) for digit in range(10)])
    centre = digits[:, :, 6:26, 8:24].astype(np.float64)
    differences = np.abs(centre[:, None] - centre[None]).mean(axis=(2, 3, 4))
    assert differences[~np.eye(10, dtype=bool)].min() > 5
    again = _render("svhn-like", [_digit(digit) for digit in range(10)])
    assert np.array_equal(digits, again)
    polarity = _render("svhn-like", [_digit(polarity=0), _digit(polarity=1)])
    assert polarity[0, :, 14:18, 14:18].mean() != polarity[1, :, 14:18, 14:18].mean()


@pytest.mark.parametrize("font", list(FONTS))
def test_svhn_like_centre_digit_stays_central_and_neighbours_stay_at_the_edges(font):
    for digit in range(10):
        for scale, rotation in ((0.8, -12.0), (1.1, 12.0), (1.1, -12.0)):
            alone = svhn_like._ink(font, (NO_DIGIT, digit, NO_DIGIT), scale, rotation).astype(np.int64)
            ink_columns = np.flatnonzero(alone.max(0) > 0)
            assert ink_columns.min() >= 5 and ink_columns.max() < 27
            left_only = svhn_like._ink(font, ((digit + 1) % 10, digit, NO_DIGIT), scale, rotation) - alone
            right_only = svhn_like._ink(font, (NO_DIGIT, digit, (digit + 4) % 10), scale, rotation) - alone
            assert np.abs(left_only[:, 11:]).max() == 0 and (np.abs(left_only) > 60).sum() >= 10
            assert np.abs(right_only[:, :21]).max() == 0 and (np.abs(right_only) > 60).sum() >= 10


@pytest.fixture
def small_faces(monkeypatch, tmp_path):
    """faces3d with 48 training and 24 test images, cached under a temporary INFOGAN_CACHE."""
    monkeypatch.setenv("INFOGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(Faces3D, "train_size", 48)
    monkeypatch.setattr(Faces3D, "test_size", 24)
    return tmp_path / "cache"


def test_a_split_is_rendered_once_then_read_from_the_cache(small_faces, monkeypatch):
    rendered = get_rendered("faces3d")
    images, values = rendered.load_split("train")
    assert images.shape == (48, 1, 32, 32) and values.shape == (48, 4)
    assert np.array_equal(values, rendered.split_values("train"))
    assert np.array_equal(images, rendered.render(values, np.random.default_rng(0)))
    assert len(list((small_faces / "data" / "rendered").glob("faces3d-*.npy"))) == 2
    monkeypatch.setattr(Faces3D, "render", lambda *_: pytest.fail("rendered again instead of reading the cache"))
    cached_images, cached_values = get_rendered("faces3d").load_split("train")
    assert np.array_equal(cached_images, images) and np.array_equal(cached_values, values)


def test_load_dataset_serves_the_factors(small_faces):
    test_set = load_dataset("faces3d", "test")
    assert tuple(test_set.images.shape) == (24, 1, 32, 32) and test_set.factors.shape == (24, 4)
    assert [factor.name for factor in test_set.factor_spec] == ["azimuth", "elevation", "light", "width"]
    assert test_set.factors[:, 0].min() >= -90 and test_set.factors[:, 0].max() <= 90


def test_the_presets_train_on_the_rendered_sets():
    assert (get_preset("faces3d").dataset, get_preset("chairs3d").dataset) == ("faces3d", "chairs3d")
    like, svhn = get_preset("svhn-like"), get_preset("svhn")
    assert (like.dataset, like.architecture) == ("svhn-like", "svhn")
    assert like.with_changes(preset="svhn", dataset="svhn") == svhn


@pytest.mark.slow
def test_infogan_train_preset_faces3d_runs_on_the_rendered_faces(small_faces, tmp_path, capsys):
    run_dir = tmp_path / "run"
    status, lines = run_cli(["train", "--preset", "faces3d", "--steps", "1", "--out", run_dir, *TINY_FLAGS], capsys)
    assert status == 0, lines
    assert (run_dir / "config.json").is_file() and '"dataset": "faces3d"' in (run_dir / "config.json").read_text()
