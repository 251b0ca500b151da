import gzip
import struct

import numpy as np
import pytest

from infogan.data import EpochSampler, load_dataset
from infogan.data.idx import BUNDLED_MNIST, parse_idx, read_idx_file
from infogan.errors import DataError


def idx_bytes(array: np.ndarray, magic_type: int = 0x08) -> bytes:
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_idx_round_trip():
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(parse_idx(idx_bytes(array)), array)


def test_truncated_and_wrong_magic_are_data_errors():
    raw = idx_bytes(np.zeros((2, 3, 3)))
    with pytest.raises(DataError, match="truncated"):
        parse_idx(raw[:-1])
    with pytest.raises(DataError, match="magic"):
        parse_idx(b"\x01\x02" + raw[2:])
    with pytest.raises(DataError, match="truncated"):
        parse_idx(raw[:2])


def test_md5_mismatch_and_missing_file(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(10))))
    with pytest.raises(DataError, match="MD5"):
        read_idx_file(path, "0" * 32)
    with pytest.raises(DataError, match="missing"):
        read_idx_file(tmp_path / "nothing.gz")


def test_bundled_mnist_loads_with_known_label_counts():
    test = load_dataset("mnist", "test")
    assert test.images.shape == (10000, 1, 28, 28) and str(test.images.dtype) == "torch.uint8"
    assert test.labels.bincount().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert int(test.images.max()) == 255


def test_image_and_label_count_mismatch(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((3, 28, 28))))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(4)))
    with pytest.raises(DataError, match="3 images but"):
        load_dataset("mnist", "test", tmp_path)


def test_raw_files_from_another_folder_load(tmp_path):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(gzip.decompress((BUNDLED_MNIST / f"{name}.gz").read_bytes()))
    assert load_dataset("mnist", "test", tmp_path).labels.shape == (10000,)


def test_sampler_visits_every_index_once_per_epoch_and_restores():
    sampler = EpochSampler(10, 3, seed=0)
    first_epoch = [sampler.next_indices() for _ in range(3)]
    seen = np.concatenate([b.numpy() for b in first_epoch])
    assert len(set(seen.tolist())) == 9
    state = sampler.state_dict()
    upcoming = [sampler.next_indices().tolist() for _ in range(4)]
    sampler.load_state_dict(state)
    assert [sampler.next_indices().tolist() for _ in range(4)] == upcoming
