"""CelebA's aligned faces (Liu et al., 2015) in their published layout.

    ROOT/img_align_celeba/000001.jpg ...      202,599 JPEGs, 178x218
    ROOT/list_attr_celeba.txt                 a count line, 40 attribute names, then FILE v1 ... v40 (-1 or 1)
    ROOT/list_eval_partition.txt              FILE 0|1|2 (train, validation, test)

The training split is partitions 0 and 1, the test split partition 2. Images are decoded and
cached as any image folder (``infogan.data.folder``); the attributes come back as a
(N, 40) array of 0/1 with their names, for measuring what a code controls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from infogan.data.folder import load_cached
from infogan.errors import DataError

IMAGE_FOLDER = "img_align_celeba"
ATTRIBUTES_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
SPLIT_PARTITIONS = {"train": (0, 1), "test": (2,)}


def is_celeba_folder(path: Path) -> bool:
    return path.is_dir() and (path / IMAGE_FOLDER).is_dir() and (path / PARTITION_FILE).is_file()


def _read_partition(path: Path) -> dict[str, int]:
    try:
        rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
        return {name: int(value) for name, value in rows}
    except (OSError, ValueError, UnicodeDecodeError):
        raise DataError(f"{path} must hold one 'FILE PARTITION' pair per line (partition 0, 1 or 2)") from None


def read_attributes(path: Path) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """(attribute names, {file name: (40,) int8 of 0/1}) from list_attr_celeba.txt."""
    try:
        lines = path.read_text().splitlines()
        names = tuple(lines[1].split())
        rows = {}
        for line in lines[2:]:
            if line.strip():
                name, *values = line.split()
                rows[name] = (np.array(values, dtype=np.int8) > 0).astype(np.int8)
    except (OSError, IndexError, ValueError, UnicodeDecodeError):
        raise DataError(f"{path} is not in CelebA's attribute format (count, names, then FILE -1/1 ...)") from None
    if not names or any(len(row) != len(names) for row in rows.values()):
        raise DataError(f"{path}: every row needs one -1/1 value per attribute ({len(names)})")
    return names, rows


def load_celeba(root: Path, split: str, size: int, channels: int, skip_bad: bool = False):
    """Images uint8 (N, channels, size, size), attributes (N, 40) 0/1 or None, attribute names."""
    root = Path(root).resolve()
    partition = _read_partition(root / PARTITION_FILE)
    image_folder = root / IMAGE_FOLDER
    files = [image_folder / name for name in sorted(partition)]
    missing = [path for path in files if not path.is_file()]
    if missing:
        raise DataError(
            f"{root / PARTITION_FILE} names {len(missing)} images missing from {image_folder}, e.g. {missing[0].name}"
        )

    def parts():
        by_split = {
            split_name: [path for path in files if partition[path.name] in wanted]
            for split_name, wanted in SPLIT_PARTITIONS.items()
        }
        return by_split, {name: None for name in by_split}, ()

    images, _, _, kept = load_cached(root, files, parts, split, size, channels, skip_bad)
    split_files = [path for path in files if partition[path.name] in SPLIT_PARTITIONS[split]]
    if kept is not None:
        split_files = [split_files[position] for position in kept]
    attributes_path = root / ATTRIBUTES_FILE
    if not attributes_path.is_file():
        return images, None, ()
    names, rows = read_attributes(attributes_path)
    absent = [path.name for path in split_files if path.name not in rows]
    if absent:
        raise DataError(f"{attributes_path} has no row for {absent[0]}")
    return images, np.stack([rows[path.name] for path in split_files]), names
