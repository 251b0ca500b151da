"""The data sources of ``infogan.data.load_dataset``: image folders (and their cache), NumPy files,
SVHN .mat, CelebA's layout, MNIST-format IDX folders, size/channel conversion, the architecture an
``auto`` config resolves to, and ``train --data`` end to end.

Every file is written here, in its published format, from seeded arrays; no network. Every test
points ``$INFOGAN_CACHE`` at its own tmp_path (the autouse ``cache_dir`` fixture).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image

from infogan.cli import main
from infogan.config import TrainConfig
from infogan.data import folder as folder_module
from infogan.data import load_dataset
from infogan.data.idx import BUNDLED_MNIST
from infogan.errors import DataError, InfoganError, InfoganWarning
from infogan.run_data import resolve_architecture

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
CELEBA_ATTRIBUTES = (  # the 40 names on the second line of list_attr_celeba.txt
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips",
    "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin",
    "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open",
    "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline",
    "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat",
    "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young",
)  # fmt: skip


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    """Every test's folder cache under its own tmp_path, never ~/.cache."""
    path = tmp_path / "cache"
    monkeypatch.setenv("INFOGAN_CACHE", str(path))
    return path


# --- writers of the published formats ---------------------------------------------------------


def write_image(path: Path, array: np.ndarray, **save_options: object) -> Path:
    """A PNG/JPEG/BMP (by suffix) of uint8 (H, W) grey or (H, W, 3) RGB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8)).save(path, **save_options)
    return path


def solid(value: int, side: int = 8, rgb: bool = False) -> np.ndarray:
    return np.full((side, side, 3) if rgb else (side, side), value, np.uint8)


def identities(images: torch.Tensor) -> list[int]:
    """The constant value of each (solid) image, which names the file it came from."""
    flat = images.flatten(1)
    assert bool((flat == flat[:, :1]).all()), "each test image is one solid value"
    return flat[:, 0].tolist()


def idx_bytes(array: np.ndarray) -> bytes:
    """MNIST's IDX format: 0, 0, 0x08 (uint8), ndim, one big-endian uint32 per size, then the bytes."""
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def idx_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` 28x28 images, image i solid at value i (so each one names itself), labels 0-9."""
    images = np.repeat(np.arange(count, dtype=np.uint8)[:, None, None], 28, 1).repeat(28, 2)
    labels = np.random.default_rng(seed).integers(0, 10, count).astype(np.uint8)
    return images, labels


def write_svhn_mat(path: Path, images_nhwc: np.ndarray, digits: np.ndarray) -> Path:
    """SVHN's layout: X uint8 (32, 32, 3, N), y (N, 1) with the digit 0 stored as 10."""
    stored = np.where(digits == 0, 10, digits).astype(np.uint8).reshape(-1, 1)
    scipy.io.savemat(path, {"X": np.ascontiguousarray(images_nhwc.transpose(1, 2, 3, 0)), "y": stored})
    return path


def write_celeba(root: Path, partitions: list[int], seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """CelebA's published layout with one solid-colour 36x44 JPEG per partition entry.

    Returns the -1/1 attribute table (N, 40) in file order and each file's colour.
    """
    count = len(partitions)
    attributes = np.random.default_rng(seed).choice([-1, 1], size=(count, 40))
    colours = [(20 + 20 * i, 230 - 20 * i, 128) for i in range(count)]
    names = [f"{i + 1:06d}.jpg" for i in range(count)]
    for name, colour in zip(names, colours):
        write_image(root / "img_align_celeba" / name, np.full((44, 36, 3), colour, np.uint8), quality=95)
    rows = [name + " " + " ".join(f"{value:2d}" for value in row) for name, row in zip(names, attributes)]
    (root / "list_attr_celeba.txt").write_text(f"{count}\n" + " ".join(CELEBA_ATTRIBUTES) + " \n" + "\n".join(rows))
    (root / "list_eval_partition.txt").write_text("".join(f"{n} {p}\n" for n, p in zip(names, partitions)))
    return attributes, colours


def truncated_png() -> bytes:
    """The first half of a 16x16 noise PNG: the header reads, the pixel data ends early."""
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def both_splits(source: str, **options: object):
    return load_dataset(source, "train", **options), load_dataset(source, "test", **options)


# --- image folders: labels and splits ---------------------------------------------------------


def test_class_subfolders_give_labels_and_sorted_class_names(tmp_path):
    root = tmp_path / "animals"
    classes = {"zebra": [10, 20, 30], "ant": [40, 50, 60, 70], "mole": [80, 90, 100]}
    for name, values in classes.items():
        for value in values:
            write_image(root / name / f"img{value:03d}.png", solid(value))
    train, test = both_splits(str(root))
    assert train.class_names == test.class_names == ("ant", "mole", "zebra")
    assert (len(train), len(test)) == (9, 1)
    expected = {value: ("ant", "mole", "zebra").index(name) for name, values in classes.items() for value in values}
    for part in (train, test):
        assert part.images.dtype == torch.uint8 and part.images.shape[1:] == (1, 8, 8)
        assert part.labels.dtype == torch.int64
        assert part.labels.tolist() == [expected[value] for value in identities(part.images)]
    assert sorted(identities(train.images) + identities(test.images)) == sorted(expected)


def test_numeric_class_folders_are_ordered_by_number(tmp_path):
    root = tmp_path / "digits"
    for position, name in enumerate(["10", "2", "9"]):
        for copy in range(4):
            write_image(root / name / f"{copy}.png", solid(10 * position + copy))
    train, _ = both_splits(str(root))
    assert train.class_names == ("2", "9", "10")
    by_value = {10 * position + copy: ("2", "9", "10").index(name) for position, name in enumerate(["10", "2", "9"])
                for copy in range(4)}  # fmt: skip
    assert train.labels.tolist() == [by_value[value] for value in identities(train.images)]


def test_labels_csv_gives_the_labels(tmp_path):
    root = tmp_path / "flat"
    names = [f"{i:02d}.png" if i % 2 else f"sub/{i:02d}.png" for i in range(20)]  # relative to the folder
    labels = [("cat", "dog", "emu")[i % 3] for i in range(20)]
    for index, name in enumerate(names):
        write_image(root / name, solid(5 * index))
    rows = ["filename,label"] + [f"{name},{label}" for name, label in zip(names, labels)]
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    train, test = both_splits(str(root))
    assert train.class_names == test.class_names == ("cat", "dog", "emu")
    assert (len(train), len(test)) == (18, 2)
    for part in (train, test):
        got = [train.class_names[label] for label in part.labels.tolist()]
        assert got == [labels[value // 5] for value in identities(part.images)]


def test_labels_csv_without_a_row_for_an_image_names_it(tmp_path):
    root = tmp_path / "flat"
    for index in range(3):
        write_image(root / f"{index}.png", solid(index))
    (root / "labels.csv").write_text("filename,label\n0.png,a\n1.png,b\n")
    with pytest.raises(DataError, match=r"labels\.csv has no label for 2\.png \(1 images without one\)"):
        load_dataset(str(root), "train")


def test_train_and_test_subfolders_are_the_given_splits(tmp_path):
    root = tmp_path / "given"
    for value in range(10, 60, 10):
        write_image(root / "train" / ("a" if value < 35 else "b") / f"{value}.png", solid(value))
    for value in (200, 210, 220):
        write_image(root / "test" / ("a" if value < 205 else "b") / f"{value}.png", solid(value))
    train, test = both_splits(str(root))
    assert identities(train.images) == [10, 20, 30, 40, 50]
    assert train.labels.tolist() == [0, 0, 0, 1, 1]
    assert identities(test.images) == [200, 210, 220]
    assert test.labels.tolist() == [0, 1, 1]
    assert train.class_names == test.class_names == ("a", "b")


def test_a_class_missing_from_the_test_folder_keeps_the_training_label(tmp_path):
    root = tmp_path / "given"
    for position, name in enumerate(["a", "b", "c"]):
        write_image(root / "train" / name / "0.png", solid(10 + position))
        write_image(root / "train" / name / "1.png", solid(20 + position))
    write_image(root / "test" / "a" / "0.png", solid(100))
    write_image(root / "test" / "c" / "0.png", solid(102))
    train, test = both_splits(str(root))
    assert train.class_names == ("a", "b", "c")
    # test/c holds class "c", which is label 2 in class_names; it comes back as 1 (its index in ("a", "c")).
    assert [test.class_names[label] for label in test.labels.tolist()] == ["a", "c"]


def test_hold_out_is_a_seeded_disjoint_tenth(tmp_path, monkeypatch):
    root = tmp_path / "plain"
    values = [7 * index for index in range(30)]
    for value in values:
        write_image(root / f"{value:03d}.png", solid(value))
    train, test = both_splits(str(root))
    assert train.labels is None and test.labels is None and train.class_names == ()
    train_ids, test_ids = identities(train.images), identities(test.images)
    assert (len(train_ids), len(test_ids)) == (27, 3)
    assert not set(train_ids) & set(test_ids)
    assert sorted(train_ids + test_ids) == values
    assert train_ids == sorted(train_ids) and test_ids == sorted(test_ids)  # file order kept within a split
    # The same split on every call, from the cache and decoded afresh in another cache.
    assert identities(load_dataset(str(root), "test").images) == test_ids
    monkeypatch.setenv("INFOGAN_CACHE", str(tmp_path / "other-cache"))
    again_train, again_test = both_splits(str(root))
    assert (identities(again_train.images), identities(again_test.images)) == (train_ids, test_ids)


def test_hold_out_is_at_most_ten_thousand_images(tmp_path):
    path = tmp_path / "many.npy"
    count = 120_000
    number = np.arange(count)
    images = np.zeros((count, 2, 2), np.uint8)  # image i holds i in base 256 in its first three pixels
    images[:, 0, 0], images[:, 0, 1], images[:, 1, 0] = number >> 16, (number >> 8) & 255, number & 255
    np.save(path, images)
    train, test = both_splits(str(path))
    assert (len(train), len(test)) == (110_000, 10_000)

    def numbers(part) -> list[int]:
        pixels = part.images[:, 0].long()
        return (pixels[:, 0, 0] * 65536 + pixels[:, 0, 1] * 256 + pixels[:, 1, 0]).tolist()

    assert sorted(numbers(train) + numbers(test)) == list(range(count))


def test_a_small_npy_holds_out_a_tenth(tmp_path):
    path = tmp_path / "small.npy"
    np.save(path, np.arange(25, dtype=np.uint8)[:, None, None].repeat(3, 1).repeat(3, 2))
    train, test = both_splits(str(path))
    assert (len(train), len(test)) == (23, 2)
    assert sorted(identities(train.images) + identities(test.images)) == list(range(25))


# --- image folders: formats, sizes and channels -----------------------------------------------


def test_png_jpeg_and_bmp_are_read_in_path_order(tmp_path):
    root = tmp_path / "formats"
    write_image(root / "train" / "a.png", solid(10))
    write_image(root / "train" / "b.BMP", solid(60))
    write_image(root / "train" / "c.jpg", solid(120), quality=100)
    write_image(root / "train" / "d.jpeg", solid(200), quality=100)
    write_image(root / "train" / ".hidden.png", solid(250))
    (root / "train" / "notes.txt").write_text("not an image")
    write_image(root / "test" / "e.png", solid(30))
    train = load_dataset(str(root), "train")
    assert train.images.shape == (4, 1, 8, 8)
    assert train.images[:2].reshape(2, -1)[:, 0].tolist() == [10, 60]  # lossless: exact
    jpeg_values = train.images[2:].float().mean(dim=(1, 2, 3))
    assert torch.allclose(jpeg_values, torch.tensor([120.0, 200.0]), atol=2)


def test_mixed_sizes_are_scaled_and_centre_cropped(tmp_path):
    root = tmp_path / "mixed"
    write_image(root / "test" / "a.png", solid(0, side=16))  # the first image: sets the native size 16
    write_image(root / "train" / "a.png", solid(77, side=16))
    wide = np.full((16, 48), 128, np.uint8)  # 48 wide: its centre 16 columns are kept as they are
    wide[:, 16:24], wide[:, 24:32] = 255, 0
    write_image(root / "train" / "b.png", wide)
    tall = np.full((48, 16), 128, np.uint8)
    tall[16:24], tall[24:32] = 255, 0
    write_image(root / "train" / "c.png", tall)
    halves = np.zeros((32, 32), np.uint8)  # twice the size: scaled down, white left half stays on the left
    halves[:, :16] = 255
    write_image(root / "train" / "d.png", halves)
    train = load_dataset(str(root), "train")
    assert train.images.shape == (4, 1, 16, 16)
    assert bool((train.images[0] == 77).all())
    assert bool((train.images[1, 0, :, :8] == 255).all()) and bool((train.images[1, 0, :, 8:] == 0).all())
    assert bool((train.images[2, 0, :8] == 255).all()) and bool((train.images[2, 0, 8:] == 0).all())
    assert bool((train.images[3, 0, :, :6] == 255).all()) and bool((train.images[3, 0, :, 10:] == 0).all())


def test_a_requested_size_scales_the_whole_folder(tmp_path):
    root = tmp_path / "halves"
    halves = np.zeros((16, 16, 3), np.uint8)
    halves[:, :8] = 255
    for index in range(3):
        write_image(root / "train" / f"{index}.png", halves)
        write_image(root / "test" / f"{index}.png", halves)
    wide = np.zeros((32, 64, 3), np.uint8)  # 64x32: scaled to 16x8, then its centre 8 columns (source 16-48)
    wide[:, 16:32] = 255
    wide[:, :16] = 128
    write_image(root / "train" / "w.png", wide)
    train = load_dataset(str(root), "train", size=8)
    assert train.images.shape == (4, 3, 8, 8)
    assert bool((train.images[:3, :, :, :3] == 255).all()) and bool((train.images[:3, :, :, 5:] == 0).all())
    assert bool((train.images[3, :, :, 1:3] == 255).all()) and bool((train.images[3, :, :, 5:] == 0).all())


def _grey_folder(root: Path) -> Path:
    for index, value in enumerate([0, 90, 180, 255]):
        write_image(root / "train" / f"{index}.png", solid(value))
        write_image(root / "test" / f"{index}.png", solid(value))
    return root


def test_grey_to_rgb_repeats_the_channel_and_warns(tmp_path):
    root = _grey_folder(tmp_path / "grey")
    with pytest.warns(InfoganWarning, match="grey; they are repeated into RGB"):
        train = load_dataset(str(root), "train", channels=3)
    assert train.images.shape == (4, 3, 8, 8)
    assert bool((train.images == train.images[:, :1]).all())
    assert identities(train.images[:, :1]) == [0, 90, 180, 255]


def test_grey_to_rgb_warns_on_a_cached_load_too(tmp_path):
    root = _grey_folder(tmp_path / "grey")
    with pytest.warns(InfoganWarning, match="grey"):
        load_dataset(str(root), "train", channels=3)
    with pytest.warns(InfoganWarning, match="grey"):
        load_dataset(str(root), "train", channels=3)


def test_grey_npz_to_rgb_repeats_the_channel_and_warns(tmp_path):
    path = tmp_path / "grey.npz"
    np.savez(path, x=np.arange(4, dtype=np.uint8)[:, None, None].repeat(28, 1).repeat(28, 2) * 60)
    with pytest.warns(InfoganWarning, match="grey; they are repeated into RGB"):
        train = load_dataset(str(path), "train", channels=3)
    assert train.images.shape == (3, 3, 28, 28)
    assert bool((train.images == train.images[:, :1]).all())


PRIMARIES = {(255, 0, 0): 76, (0, 255, 0): 150, (0, 0, 255): 29, (255, 255, 255): 255, (0, 0, 0): 0}


def test_rgb_folder_to_grey_uses_luma_weights(tmp_path):
    root = tmp_path / "colours"
    for index, colour in enumerate(PRIMARIES):
        write_image(root / "train" / f"{index}.png", np.full((8, 8, 3), colour, np.uint8))
        write_image(root / "test" / f"{index}.png", np.full((8, 8, 3), colour, np.uint8))
    train = load_dataset(str(root), "train", channels=1)
    assert train.images.shape == (5, 1, 8, 8)
    assert identities(train.images) == list(PRIMARIES.values())


def test_rgb_array_to_grey_uses_luma_weights(tmp_path):
    path = tmp_path / "colours.npz"
    colours = np.array(list(PRIMARIES), np.uint8)  # (5, 3)
    np.savez(path, x=np.broadcast_to(colours[:, None, None, :], (5, 4, 4, 3)))
    train, test = both_splits(str(path), channels=1)
    assert train.images.shape == (4, 1, 4, 4)
    assert sorted(identities(train.images) + identities(test.images)) == sorted(PRIMARIES.values())


def test_a_16_bit_grey_png_is_scaled_to_8_bits(tmp_path):
    root = tmp_path / "deep"
    for split in ("train", "test"):
        (root / split).mkdir(parents=True)
        for index, value in enumerate([0, 256 * 64, 256 * 128, 65535]):
            Image.fromarray(np.full((8, 8), value, np.uint16)).save(root / split / f"{index}.png")
    assert Image.open(root / "train" / "1.png").mode == "I;16"
    train = load_dataset(str(root), "train")
    assert identities(train.images) == [0, 64, 128, 255]


# --- the folder cache -------------------------------------------------------------------------


def _count_decodes(monkeypatch) -> list[Path]:
    """Record every decode_image call (and still decode)."""
    calls: list[Path] = []
    real = folder_module.decode_image

    def counting(path, size, channels):
        calls.append(Path(path))
        return real(path, size, channels)

    monkeypatch.setattr(folder_module, "decode_image", counting)
    return calls


def _plain_folder(root: Path, count: int = 12) -> Path:
    for index in range(count):
        write_image(root / f"{index:02d}.png", solid(10 * index))
    return root


def test_the_second_load_reads_the_cache(tmp_path, cache_dir, monkeypatch):
    root = _plain_folder(tmp_path / "plain")
    calls = _count_decodes(monkeypatch)
    first_train, first_test = both_splits(str(root))
    assert len(calls) == 12  # both splits decoded once
    assert len(list(cache_dir.glob("data/*.json"))) == 1 and len(list(cache_dir.glob("data/*.npy"))) == 2

    def refuse(*_):
        raise AssertionError("the cache must be read, not the images decoded again")

    monkeypatch.setattr(folder_module, "decode_image", refuse)
    second_train, second_test = both_splits(str(root))
    assert torch.equal(second_train.images, first_train.images) and torch.equal(second_test.images, first_test.images)
    assert identities(first_train.images) + identities(first_test.images) != []


def test_adding_or_changing_a_file_rebuilds_the_cache(tmp_path, monkeypatch):
    root = _plain_folder(tmp_path / "plain", count=10)
    calls = _count_decodes(monkeypatch)
    assert sum(map(len, both_splits(str(root)))) == 10
    write_image(root / "10.png", solid(101))
    train, test = both_splits(str(root))
    assert len(calls) == 21 and len(train) + len(test) == 11
    assert 101 in identities(train.images) + identities(test.images)
    changed = root / "03.png"
    stamp = changed.stat().st_mtime_ns
    write_image(changed, solid(33))  # the same size on disk; a later modification time
    os.utime(changed, ns=(stamp + 10**9, stamp + 10**9))
    train, test = both_splits(str(root))
    values = identities(train.images) + identities(test.images)
    assert 33 in values and 30 not in values and len(calls) == 32


def test_a_cache_of_another_version_is_rebuilt_with_a_warning(tmp_path, cache_dir, monkeypatch):
    root = _plain_folder(tmp_path / "plain")
    first = load_dataset(str(root), "train")
    (meta_path,) = cache_dir.glob("data/*.json")
    meta = json.loads(meta_path.read_text())
    assert meta["version"] == folder_module.CACHE_VERSION
    meta_path.write_text(json.dumps({**meta, "version": folder_module.CACHE_VERSION + 1}))
    calls = _count_decodes(monkeypatch)
    with pytest.warns(InfoganWarning, match="written by another infogan version; decoding .* again"):
        again = load_dataset(str(root), "train")
    assert len(calls) == 12
    assert torch.equal(again.images, first.images)
    assert json.loads(meta_path.read_text())["version"] == folder_module.CACHE_VERSION


def test_a_removed_file_or_a_damaged_cache_is_decoded_again(tmp_path, cache_dir, monkeypatch):
    root = _plain_folder(tmp_path / "plain", count=10)
    first_train, first_test = both_splits(str(root))
    calls = _count_decodes(monkeypatch)
    (root / "04.png").unlink()
    train, test = both_splits(str(root))
    assert len(calls) == 9 and sorted(identities(train.images) + identities(test.images)) == [
        value for value in range(0, 100, 10) if value != 40
    ]
    expected = train.images.clone()  # the loaded images map the cache file, which is damaged next
    del train
    (train_cache,) = cache_dir.glob("data/*.train.npy")
    train_cache.write_bytes(train_cache.read_bytes()[:100])  # a cache file damaged by hand
    again = load_dataset(str(root), "train")
    assert len(calls) == 18 and torch.equal(again.images, expected)
    del again
    train_cache.unlink()
    assert torch.equal(load_dataset(str(root), "train").images, expected) and len(calls) == 27
    assert len(first_train) + len(first_test) == 10


def test_two_builds_of_the_same_cache_at_once_both_succeed(tmp_path, monkeypatch):
    """Two runs started together on a new folder: the second builds the cache while the first is
    half way through (simulated by building it from inside the first build's first decode)."""
    root = _plain_folder(tmp_path / "plain", count=10)
    real = folder_module.decode_image
    inner: list = []

    def racing(path, size, channels):
        if not inner:
            inner.append(None)
            inner[0] = identities(load_dataset(str(root), "train").images.clone())
        return real(path, size, channels)

    monkeypatch.setattr(folder_module, "decode_image", racing)
    outer = load_dataset(str(root), "train")
    assert identities(outer.images) == inner[0] and len(inner[0]) == 9


def test_parallel_decoding_matches_and_skips_by_position(tmp_path, monkeypatch):
    root = _plain_folder(tmp_path / "plain", count=20)
    (root / "06.png").write_bytes(truncated_png())  # in the third chunk of 3
    with pytest.warns(InfoganWarning, match=r"skipped 1 images .*06\.png"):
        serial_train, serial_test = both_splits(str(root), skip_bad_images=True)
    monkeypatch.setenv("INFOGAN_CACHE", str(tmp_path / "parallel-cache"))
    monkeypatch.setattr(folder_module, "PARALLEL_FROM", 4)
    monkeypatch.setattr(folder_module, "CHUNK", 3)
    with pytest.warns(InfoganWarning, match=r"skipped 1 images .*06\.png"):
        train, test = both_splits(str(root), skip_bad_images=True)
    assert torch.equal(train.images, serial_train.images) and torch.equal(test.images, serial_test.images)
    assert sorted(identities(train.images) + identities(test.images)) == [10 * i for i in range(20) if i != 6]


# --- image folders: bad input -----------------------------------------------------------------


def _folder_with_bad_file(root: Path, name: str, content: bytes | None = None) -> Path:
    _plain_folder(root, count=10)
    bad = root / name
    bad.write_bytes(content if content is not None else truncated_png())
    return bad


def test_a_truncated_image_names_the_file_and_the_option(tmp_path):
    bad = _folder_with_bad_file(tmp_path / "plain", "05b.png")
    with pytest.raises(DataError) as raised:
        load_dataset(str(tmp_path / "plain"), "train")
    message = str(raised.value)
    assert str(bad) in message and "--skip-bad-images" in message and "truncated" in message


def test_skip_bad_images_leaves_it_out_and_counts_it(tmp_path):
    root = tmp_path / "plain"
    _folder_with_bad_file(root, "05b.png")
    _folder_with_bad_file(root, "07b.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
    with pytest.warns(InfoganWarning, match=r"skipped \d images that could not be decoded") as caught:
        train, test = both_splits(str(root), skip_bad_images=True)
    counts = [int(str(w.message).split()[1]) for w in caught if "skipped" in str(w.message)]
    assert sum(counts) == 2
    assert sorted(identities(train.images) + identities(test.images)) == [10 * i for i in range(10)]


def test_skip_bad_images_keeps_the_labels_of_the_kept_images(tmp_path):
    root = tmp_path / "classes"
    for index in range(12):
        write_image(root / ("a" if index < 6 else "b") / f"{index:02d}.png", solid(10 * index))
    (root / "a" / "03.png").write_bytes(b"garbage, not a PNG")
    with pytest.warns(InfoganWarning, match="skipped 1 images"):
        train, test = both_splits(str(root), skip_bad_images=True)
    for part in (train, test):
        assert part.labels.tolist() == [0 if value < 60 else 1 for value in identities(part.images)]
    assert sorted(identities(train.images) + identities(test.images)) == [10 * i for i in range(12) if i != 3]


def test_a_bad_first_file_is_skipped_too(tmp_path):
    root = tmp_path / "plain"
    _folder_with_bad_file(root, "0-broken.png", b"not an image at all")
    with pytest.warns(InfoganWarning, match="skipped 1 images"):
        train, test = both_splits(str(root), skip_bad_images=True)
    assert len(train) + len(test) == 10


def test_a_bad_first_file_mentions_the_option(tmp_path):
    root = tmp_path / "plain"
    bad = _folder_with_bad_file(root, "0-broken.png", b"not an image at all")
    with pytest.raises(DataError) as raised:
        load_dataset(str(root), "train")
    assert str(bad) in str(raised.value) and "--skip-bad-images" in str(raised.value)


@pytest.mark.parametrize("content", [None, ["notes.txt", "data.csv"]], ids=["empty", "no-images"])
def test_a_folder_without_images_is_refused(tmp_path, content):
    root = tmp_path / "nothing"
    root.mkdir()
    for name in content or []:
        (root / name).write_text("1,2\n")
    with pytest.raises(DataError, match=r"holds no data infogan reads \(an image folder"):
        load_dataset(str(root), "train")


def test_a_missing_path_is_refused(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=r"is neither a known set \(.*mnist.*\) nor an existing path"):
        load_dataset(str(missing), "train")
    with pytest.raises(DataError, match="neither a known set"):
        load_dataset(str(tmp_path / "nowhere.npz") + ":images,labels", "train")


# --- NumPy files ------------------------------------------------------------------------------


def _numbered(count: int, side: int = 6, channels: int | None = None) -> np.ndarray:
    images = np.arange(count, dtype=np.uint8)[:, None, None].repeat(side, 1).repeat(side, 2) * 3
    return images if channels is None else np.repeat(images[..., None], channels, -1)


def test_npz_with_x_and_y(tmp_path):
    path = tmp_path / "set.npz"
    labels = np.random.default_rng(1).integers(0, 5, 40)
    np.savez(path, x=_numbered(40), y=labels.astype(np.uint8))
    train, test = both_splits(str(path))
    assert train.images.shape == (36, 1, 6, 6) and test.images.shape == (4, 1, 6, 6)
    for part in (train, test):
        assert part.labels.dtype == torch.int64
        assert part.labels.tolist() == [int(labels[value // 3]) for value in identities(part.images)]
    assert sorted(identities(train.images) + identities(test.images)) == [3 * i for i in range(40)]


def test_npz_with_named_arrays(tmp_path):
    path = tmp_path / "set.npz"
    np.savez(path, images=_numbered(20), labels=np.arange(20) % 4, extra=np.zeros(3))
    train = load_dataset(f"{path}:images,labels", "train")
    assert len(train) == 18
    assert train.labels.tolist() == [(value // 3) % 4 for value in identities(train.images)]
    assert load_dataset(f"{path}:images", "train").labels is None


def test_npz_missing_a_named_array_lists_what_it_holds(tmp_path):
    path = tmp_path / "set.npz"
    np.savez(path, images=_numbered(20), labels=np.arange(20))
    with pytest.raises(DataError, match=r"has no array 'pics' \(it holds images, labels\)"):
        load_dataset(f"{path}:pics,labels", "train")
    with pytest.raises(DataError, match=r"has no array 'targets' \(it holds images, labels\)"):
        load_dataset(f"{path}:images,targets", "train")
    with pytest.raises(DataError, match=r"has no array 'x' \(it holds images, labels\)"):
        load_dataset(str(path), "train")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (
            np.zeros((10, 36), np.uint8),
            r"images must be \(N, H, W\), \(N, H, W, C\) or \(N, C, H, W\), got shape \(10, 36\)",
        ),
        (np.zeros((4, 2, 6, 6, 1), np.uint8), r"got shape \(4, 2, 6, 6, 1\)"),
        (np.zeros((10, 6, 6), np.int16), "must be uint8 .0-255. or float .0-1., got dtype int16"),
        (np.full((10, 6, 6), 1.5, np.float32), r"must be finite and lie in \[0, 1\], got 1.5 to 1.5"),
        (np.full((10, 6, 6), -0.25), r"must be finite and lie in \[0, 1\], got -0.25 to -0.25"),
        (np.zeros((10, 6, 6, 2), np.uint8), r"need 1 \(grey\) or 3 \(RGB\) channels"),
    ],
    ids=["rank-2", "rank-5", "int16", "above-1", "below-0", "two-channels"],
)
def test_npz_refuses_bad_images(tmp_path, array, message):
    path = tmp_path / "bad.npz"
    np.savez(path, x=array)
    with pytest.raises(DataError, match=message):
        load_dataset(str(path), "train")


def test_npz_refuses_nan_float_images(tmp_path):
    path = tmp_path / "nan.npz"
    images = np.full((10, 6, 6), 0.5, np.float32)
    images[3, 2, 2] = np.nan
    np.savez(path, x=images)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(DataError, match=r"\[0, 1\]"):
            load_dataset(str(path), "train")


def test_float_images_in_0_1_become_uint8(tmp_path):
    path = tmp_path / "float.npz"
    values = np.array([0.0, 0.2, 0.4, 1.0, 0.6], np.float32)
    np.savez(path, x=values[:, None, None, None] * np.ones((5, 1, 4, 4), np.float32), y=np.arange(5))
    train, test = both_splits(str(path))
    assert train.images.dtype == torch.uint8
    got = dict(zip(train.labels.tolist() + test.labels.tolist(), identities(train.images) + identities(test.images)))
    assert got == {0: 0, 1: 51, 2: 102, 3: 255, 4: 153}


def test_npz_label_count_must_match(tmp_path):
    path = tmp_path / "set.npz"
    np.savez(path, x=_numbered(10), y=np.arange(9))
    with pytest.raises(DataError, match="9 labels for 10 images"):
        load_dataset(str(path), "train")


def test_npy_has_no_labels(tmp_path):
    path = tmp_path / "set.npy"
    np.save(path, _numbered(20, channels=3))
    train = load_dataset(str(path), "train")
    assert train.labels is None and train.images.shape == (18, 3, 6, 6)


def test_nhwc_and_nchw_give_the_same_images(tmp_path):
    rng = np.random.default_rng(3)
    nhwc = rng.integers(0, 256, (20, 7, 5, 3), dtype=np.uint8)
    np.save(tmp_path / "nhwc.npy", nhwc)
    np.save(tmp_path / "nchw.npy", nhwc.transpose(0, 3, 1, 2))
    np.savez(tmp_path / "nhwc.npz", x=nhwc, y=np.arange(20))
    results = [load_dataset(str(tmp_path / name), "train") for name in ("nhwc.npy", "nchw.npy", "nhwc.npz")]
    assert results[0].images.shape == (18, 3, 7, 5)
    assert torch.equal(results[0].images, results[1].images) and torch.equal(results[0].images, results[2].images)
    indices = results[2].labels.numpy()
    assert np.array_equal(results[0].images.numpy(), nhwc[indices].transpose(0, 3, 1, 2))


# --- SVHN -------------------------------------------------------------------------------------


def _svhn_arrays(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, count)


def test_svhn_folder_reads_both_files(tmp_path):
    train_images, train_digits = _svhn_arrays(12, 0)
    test_images, test_digits = _svhn_arrays(5, 1)
    train_digits[:2] = 0  # stored as 10
    write_svhn_mat(tmp_path / "train_32x32.mat", train_images, train_digits)
    write_svhn_mat(tmp_path / "test_32x32.mat", test_images, test_digits)
    train, test = both_splits(str(tmp_path))
    assert train.images.shape == (12, 3, 32, 32) and test.images.shape == (5, 3, 32, 32)
    assert np.array_equal(train.images.numpy(), train_images.transpose(0, 3, 1, 2))
    assert np.array_equal(test.images.numpy(), test_images.transpose(0, 3, 1, 2))
    assert train.labels.tolist() == train_digits.tolist() and test.labels.tolist() == test_digits.tolist()
    assert train.labels[:2].tolist() == [0, 0] and int(train.labels.max()) <= 9


def test_a_single_svhn_file_gets_a_hold_out(tmp_path):
    images, digits = _svhn_arrays(20, 2)
    path = write_svhn_mat(tmp_path / "extra_32x32.mat", images, digits)
    train, test = both_splits(str(path))
    assert (len(train), len(test)) == (18, 2)
    merged = torch.cat([train.images, test.images])
    order = [int(np.flatnonzero((images.transpose(0, 3, 1, 2) == image.numpy()).all(axis=(1, 2, 3)))[0])
             for image in merged]  # fmt: skip
    assert sorted(order) == list(range(20))
    assert torch.cat([train.labels, test.labels]).tolist() == [int(digits[i]) for i in order]


def test_a_mat_without_x_and_y_names_what_it_holds(tmp_path):
    path = tmp_path / "other.mat"
    scipy.io.savemat(path, {"images": np.zeros((2, 2), np.uint8), "targets": np.zeros(2)})
    with pytest.raises(DataError, match=r"has no X and y arrays \(SVHN's layout\); it holds images, targets"):
        load_dataset(str(path), "train")


# --- CelebA -----------------------------------------------------------------------------------


PARTITIONS = [0, 0, 1, 2, 0, 1, 2, 0, 0, 1]


def test_celeba_splits_attributes_and_default_format(tmp_path):
    root = tmp_path / "celeba"
    attributes, colours = write_celeba(root, PARTITIONS)
    train, test = both_splits(str(root))
    train_rows = [i for i, p in enumerate(PARTITIONS) if p in (0, 1)]
    test_rows = [i for i, p in enumerate(PARTITIONS) if p == 2]
    assert train.images.shape == (8, 3, 32, 32) and test.images.shape == (2, 3, 32, 32)
    assert train.images.dtype == torch.uint8 and train.labels is None
    assert train.attribute_names == test.attribute_names == tuple(CELEBA_ATTRIBUTES)
    assert train.attributes.shape == (8, 40) and set(np.unique(train.attributes)) == {0, 1}
    assert np.array_equal(train.attributes, (attributes[train_rows] > 0).astype(np.int8))
    assert np.array_equal(test.attributes, (attributes[test_rows] > 0).astype(np.int8))
    for part, rows in ((train, train_rows), (test, test_rows)):
        means = part.images.float().mean(dim=(2, 3))
        assert torch.allclose(means, torch.tensor([colours[i] for i in rows], dtype=torch.float32), atol=3)


def test_celeba_at_a_requested_size_and_channels(tmp_path):
    root = tmp_path / "celeba"
    write_celeba(root, PARTITIONS)
    assert load_dataset(str(root), "test", size=64).images.shape == (2, 3, 64, 64)
    grey = load_dataset(str(root), "train", size=28, channels=1)
    assert grey.images.shape == (8, 1, 28, 28) and grey.attributes.shape == (8, 40)


def test_celeba_skipping_a_bad_image_keeps_the_attribute_rows_aligned(tmp_path):
    root = tmp_path / "celeba"
    attributes, colours = write_celeba(root, PARTITIONS)
    (root / "img_align_celeba" / "000002.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    with pytest.warns(InfoganWarning, match=r"skipped 1 images .*000002\.jpg"):
        train = load_dataset(str(root), "train", skip_bad_images=True)
    kept = [i for i, p in enumerate(PARTITIONS) if p in (0, 1) and i != 1]
    assert len(train) == 7
    assert np.array_equal(train.attributes, (attributes[kept] > 0).astype(np.int8))
    means = train.images.float().mean(dim=(2, 3))
    assert torch.allclose(means, torch.tensor([colours[i] for i in kept], dtype=torch.float32), atol=3)


# --- MNIST-format IDX folders -----------------------------------------------------------------


def test_an_mnist_format_folder_is_read_without_checksums(tmp_path):
    train_images, train_labels = idx_digits(30, 0)
    test_images, test_labels = idx_digits(7, 1)
    write_idx(tmp_path / "train-images-idx3-ubyte", train_images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", train_labels)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", test_images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", test_labels)
    train, test = both_splits(str(tmp_path))
    assert train.images.shape == (30, 1, 28, 28) and test.images.shape == (7, 1, 28, 28)
    assert np.array_equal(train.images[:, 0].numpy(), train_images)
    assert np.array_equal(test.images[:, 0].numpy(), test_images)
    assert train.labels.tolist() == train_labels.tolist() and test.labels.tolist() == test_labels.tolist()


def test_an_emnist_style_prefixed_gzip_folder(tmp_path):
    train_images, train_labels = idx_digits(15, 2)
    test_images, test_labels = idx_digits(4, 3)
    write_idx(tmp_path / "emnist-letters-train-images-idx3-ubyte.gz", train_images)
    write_idx(tmp_path / "emnist-letters-train-labels-idx1-ubyte.gz", train_labels)
    write_idx(tmp_path / "emnist-letters-test-images-idx3-ubyte.gz", test_images)
    write_idx(tmp_path / "emnist-letters-test-labels-idx1-ubyte.gz", test_labels)
    (tmp_path / "emnist-letters-mapping.txt").write_text("1 65 97\n")
    train, test = both_splits(str(tmp_path))
    assert identities(train.images) == list(range(15)) and identities(test.images) == list(range(4))
    assert train.labels.tolist() == train_labels.tolist() and test.labels.tolist() == test_labels.tolist()


def test_an_idx_folder_without_a_test_file_gets_a_hold_out(tmp_path):
    images, labels = idx_digits(40, 4)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    train, test = both_splits(str(tmp_path))
    assert (len(train), len(test)) == (36, 4)
    assert sorted(identities(train.images) + identities(test.images)) == list(range(40))
    for part in (train, test):
        assert part.labels.tolist() == [int(labels[value]) for value in identities(part.images)]


def test_an_idx_folder_without_label_files_has_no_labels(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", idx_digits(10, 5)[0])
    write_idx(tmp_path / "t10k-images-idx3-ubyte", idx_digits(3, 6)[0])
    train, test = both_splits(str(tmp_path))
    assert train.labels is None and test.labels is None
    assert (len(train), len(test)) == (10, 3)


def test_idx_label_count_mismatch_is_refused(tmp_path):
    images, labels = idx_digits(10, 7)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels[:9])
    with pytest.raises(DataError, match="holds 10 images but .*train-labels-idx1-ubyte holds 9 labels"):
        load_dataset(str(tmp_path), "train")


@pytest.mark.skipif(not FASHION_MNIST.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_its_debian_folder():
    train, test = both_splits("fashion-mnist")
    assert train.images.shape == (60_000, 1, 28, 28) and test.images.shape == (10_000, 1, 28, 28)
    assert train.labels.unique().tolist() == list(range(10)) and test.labels.unique().tolist() == list(range(10))
    assert torch.bincount(test.labels).tolist() == [1000] * 10  # Fashion-MNIST's balanced test set


def test_fashion_mnist_without_its_folder_says_where_to_get_it(tmp_path, monkeypatch):
    from infogan.data import idx

    monkeypatch.setitem(idx.DEFAULT_FOLDERS, "fashion-mnist", tmp_path / "absent")
    with pytest.raises(DataError, match="fashion-mnist files are not in .*absent; install Debian's dataset-fashion"):
        load_dataset("fashion-mnist", "train")


def test_a_corrupted_copy_of_a_known_set_fails_its_md5(tmp_path):
    for path in BUNDLED_MNIST.glob("t10k-*"):
        shutil.copy(path, tmp_path / path.name)
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(target.read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one label changed: still a valid IDX file
    target.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: MD5 does not match the published"):
        load_dataset("mnist", "test", data_dir=tmp_path)
    # The untouched copy reads (and its content's MD5 is the one the checksums name).
    shutil.copy(BUNDLED_MNIST / "t10k-labels-idx1-ubyte.gz", target)
    assert len(load_dataset("mnist", "test", data_dir=tmp_path)) == 10_000
    assert hashlib.md5(gzip.decompress(target.read_bytes())).hexdigest() == "27ae3e4e09519cfbb04c329615203637"


def test_size_and_channels_conversion_of_mnist_format_data(tmp_path):
    images, labels = idx_digits(12, 8)
    images = images * 20
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:3])
    with pytest.warns(InfoganWarning, match="grey"):
        train = load_dataset(str(tmp_path), "train", size=32, channels=3)
    assert train.images.shape == (12, 3, 32, 32) and train.images.dtype == torch.uint8
    assert identities(train.images) == images[:, 0, 0].tolist()  # solid images stay solid, in every channel
    assert train.labels.tolist() == labels.tolist()
    halves = np.zeros((2, 28, 28), np.uint8)
    halves[:, :, :14] = 255
    write_idx(tmp_path / "t10k-images-idx3-ubyte", halves)
    test = load_dataset(str(tmp_path), "test", size=32, channels=1)
    assert test.images.shape == (2, 1, 32, 32)
    assert bool((test.images[..., :14] == 255).all()) and bool((test.images[..., 18:] == 0).all())


# --- the architecture an "auto" config resolves to --------------------------------------------


def _auto(root: Path, **changes: object) -> TrainConfig:
    return TrainConfig(preset="custom", architecture="auto", dataset=str(root), **changes)


@pytest.mark.parametrize(
    ("side", "rgb", "architecture", "channels"),
    [
        (32, True, "svhn", None),
        (32, False, "faces3d", None),
        (64, False, "chairs3d", None),
        (28, False, "mnist", None),
        (28, True, "mnist", 3),
        (64, True, "chairs3d", 3),
    ],
)
def test_auto_architecture_fits_the_folder(tmp_path, side, rgb, architecture, channels):
    for index in range(3):
        write_image(tmp_path / "data" / f"{index}.png", solid(40 * index, side, rgb))
    resolved = resolve_architecture(_auto(tmp_path / "data"))
    assert (resolved.architecture, resolved.image_channels) == (architecture, channels)
    assert resolved.dataset == str(tmp_path / "data")


def test_auto_architecture_refuses_an_unsupported_size(tmp_path):
    for index in range(3):
        write_image(tmp_path / "data" / f"{index}.png", solid(index, 100, rgb=True))
    with pytest.raises(InfoganError) as raised:
        resolve_architecture(_auto(tmp_path / "data"))
    message = str(raised.value)
    assert message.startswith("no architecture takes 100x100 images; supported: 28 (mnist), 32 (faces3d grey")
    assert "64 (chairs3d)" in message and "--resize 28, 32 or 64" in message


def test_auto_architecture_after_resize(tmp_path):
    for index in range(3):
        write_image(tmp_path / "grey" / f"{index}.png", solid(index, 100))
        write_image(tmp_path / "rgb" / f"{index}.png", solid(index, 100, rgb=True))
    grey_64 = resolve_architecture(_auto(tmp_path / "grey", image_size=64))
    assert (grey_64.architecture, grey_64.image_channels) == ("chairs3d", None)
    assert resolve_architecture(_auto(tmp_path / "grey", image_size=32)).architecture == "faces3d"
    rgb_64 = resolve_architecture(_auto(tmp_path / "rgb", image_size=64))
    assert (rgb_64.architecture, rgb_64.image_channels) == ("chairs3d", 3)


def test_auto_architecture_of_other_sources(tmp_path):
    np.savez(tmp_path / "rgb32.npz", x=np.zeros((10, 32, 32, 3), np.uint8))
    write_svhn_mat(tmp_path / "train_32x32.mat", *_svhn_arrays(10, 0))
    idx_folder = tmp_path / "idx"
    write_idx(idx_folder / "train-images-idx3-ubyte.gz", idx_digits(10, 0)[0])
    for source, architecture in [(tmp_path / "rgb32.npz", "svhn"), (tmp_path, "svhn"), (idx_folder, "mnist")]:
        resolved = resolve_architecture(_auto(source))
        assert (resolved.architecture, resolved.image_channels) == (architecture, None)
    assert resolve_architecture(TrainConfig()).architecture == "mnist"  # not "auto": unchanged


def test_named_sets_that_are_not_bundled_and_unknown_splits():
    with pytest.raises(
        DataError, match="the SVHN data set is not bundled .* pass --data with the folder of train_32x32"
    ):
        load_dataset("svhn", "train")
    with pytest.raises(DataError, match="the CelebA data set is not bundled"):
        load_dataset("celeba", "test")
    with pytest.raises(DataError, match=r"unknown split 'validation' \(train or test\)"):
        load_dataset("mnist", "validation")


# --- train --data end to end ------------------------------------------------------------------


def _train_args(data: Path, run: Path) -> list[str]:
    return [
        "train", "--data", str(data), "--out", str(run), "--steps", "2", "--batch-size", "8", "--eval-every", "2",
        "--log-every", "1", "--image-every", "2", "--checkpoint-every", "2", "--device", "cpu", "--no-progress",
    ]  # fmt: skip


@pytest.mark.slow
def test_train_on_an_image_folder_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it
    data = tmp_path / "digits"
    rng = np.random.default_rng(0)
    for index in range(40):
        noise = rng.integers(0, 256, (28, 28), dtype=np.uint8)
        write_image(data / ("odd" if index % 2 else "even") / f"{index:02d}.png", noise)
    run = tmp_path / "run"
    assert main(_train_args(data, run)) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["preset"], config["architecture"], config["dataset"]) == ("custom", "mnist", str(data))
    assert config["image_channels"] is None
    assert "infogan: training custom for 2 steps" in capsys.readouterr().err


def test_train_on_an_empty_folder_is_one_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(_train_args(empty, tmp_path / "run")) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"infogan: error: {empty} holds no data")
    assert not (tmp_path / "run").exists()
