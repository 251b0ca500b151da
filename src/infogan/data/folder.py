"""A folder of images (PNG, JPEG, BMP; searched recursively), decoded once into a cached array.

Labels, when there are any, come from ``labels.csv`` in the folder (columns ``filename,label``,
the file name relative to the folder) or from class subfolders (``root/<class>/*.png``, as
torchvision's ImageFolder has them). ``root/train`` and ``root/test`` subfolders are the
given splits; otherwise a seeded tenth of the images (at most 10,000) is held out as the
test split. Each image is converted to grey or RGB, its shorter side scaled to the
architecture's size and the centre square kept.

The first use decodes the folder in parallel (one process per core, with a progress bar)
into ``$INFOGAN_CACHE/data/<key>.{train,test}.npy`` (default ``~/.cache/infogan/data``), which
later uses memory-map. The cache is keyed by the folder, the size and the channels, and
rebuilt when a file is added, removed or changed, or when it was written by another version.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import uuid
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from infogan.data.processes import process_map
from infogan.errors import DataError, InfoganWarning
from infogan.files import write_text_atomic

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
CACHE_VERSION = 1
CACHE_ENV = "INFOGAN_CACHE"
LABELS_FILE = "labels.csv"
HOLD_OUT_FRACTION, HOLD_OUT_MAX, HOLD_OUT_SEED = 0.1, 10_000, 0
CHUNK = 256  # images one worker decodes at a time
PARALLEL_FROM = 2_000  # smaller folders are decoded in this process


def cache_folder() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "infogan") / "data"


def list_images(root: Path) -> list[Path]:
    """Every image file under ``root``, sorted by relative path; hidden files and folders skipped."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        found += [
            Path(folder) / name for name in names if name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith(".")
        ]
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def is_image_folder(root: Path) -> bool:
    return Path(root).is_dir() and bool(list_images(Path(root)))


def _labels(root: Path, files: list[Path], label_root: Path) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Labels (N,) int64 and the class names they index, from labels.csv or class subfolders."""
    names = _label_names(root, files, label_root)
    if names is None:
        return None, ()
    classes = _class_order(set(names))
    index = {name: position for position, name in enumerate(classes)}
    return np.array([index[name] for name in names], dtype=np.int64), classes


def _class_order(names: set[str]) -> tuple[str, ...]:
    """Class names sorted, numbers by value (2 before 10)."""
    return tuple(sorted(names, key=lambda name: (0, int(name), "") if name.isdigit() else (1, 0, name)))


def _label_names(root: Path, files: list[Path], label_root: Path) -> list[str] | None:
    """The label name of each file, from labels.csv or class subfolders; None without labels."""
    csv_path = label_root / LABELS_FILE
    if csv_path.is_file():
        by_name = _read_label_csv(csv_path)
        keys = [path.relative_to(label_root).as_posix() for path in files]
        missing = [key for key in keys if key not in by_name]
        if missing:
            raise DataError(f"{csv_path} has no label for {missing[0]} ({len(missing)} images without one)")
        return [by_name[key] for key in keys]
    parts = [path.relative_to(root).parts for path in files]
    if any(len(part) < 2 for part in parts) or len({part[0] for part in parts}) < 2:
        return None
    return [part[0] for part in parts]


def _read_label_csv(path: Path) -> dict[str, str]:
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read {path} ({error})") from None
    if rows and [cell.strip().lower() for cell in rows[0][:2]] == ["filename", "label"]:
        rows = rows[1:]
    if any(len(row) < 2 for row in rows):
        raise DataError(f"{path}: every row must be filename,label")
    return {row[0].strip(): row[1].strip() for row in rows}


def is_grey_mode(mode: str) -> bool:
    """Whether a Pillow image mode holds grey values (1-bit, 8-bit, 16-bit, 32-bit, float)."""
    return mode in ("1", "L", "LA", "I", "F") or mode.startswith("I;16")


def _to_mode(image: Image.Image, mode: str) -> Image.Image:
    """``image`` in "L" or "RGB"; 16-bit grey is scaled to 8 bits (Pillow's convert would clip it)."""
    if image.mode.startswith("I;16"):
        image = Image.fromarray((np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8), "L")
    return image.convert(mode)


def decode_image(path: Path, size: int, channels: int) -> np.ndarray:
    """One image file -> uint8 (channels, size, size): converted, shorter side scaled, centre kept."""
    mode = "L" if channels == 1 else "RGB"
    with Image.open(path) as image:
        image.draft(mode, (size, size))  # JPEG: decode at a reduced scale when that is enough
        image = _to_mode(image, mode)
        width, height = image.size
        scale = size / min(width, height)
        new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
        image = image.resize(new_size, Image.Resampling.BILINEAR, reducing_gap=3.0)
        left, top = (new_size[0] - size) // 2, (new_size[1] - size) // 2
        image = image.crop((left, top, left + size, top + size))
    array = np.array(image, dtype=np.uint8)  # a copy: Pillow's buffer is read-only
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def _decode_chunk(paths: list[Path], size: int, channels: int) -> tuple[np.ndarray, list[int], str | None]:
    """Decoded images (len(paths), C, S, S), the positions that failed, and the first failure."""
    out = np.zeros((len(paths), channels, size, size), dtype=np.uint8)
    failed, first_error = [], None
    for position, path in enumerate(paths):
        try:
            out[position] = decode_image(path, size, channels)
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
            failed.append(position)
            first_error = (
                first_error or f"{path}: {str(error).splitlines()[0][:120] if str(error) else type(error).__name__}"
            )
    return out, failed, first_error


def _decode_all(paths: list[Path], size: int, channels: int, skip_bad: bool, target: np.ndarray) -> list[int]:
    """Decode ``paths`` into ``target`` (N, C, S, S); returns the indices that failed (with ``skip_bad``)."""
    chunks = [paths[start : start + CHUNK] for start in range(0, len(paths), CHUNK)]
    bad: list[int] = []
    workers = min(os.cpu_count() or 1, len(chunks)) if len(paths) >= PARALLEL_FROM else 1
    bar = tqdm(total=len(paths), unit="image", desc="decoding images", disable=len(paths) < PARALLEL_FROM)
    with process_map(workers) as parallel_map, bar:
        results = parallel_map(_decode_chunk, chunks, [size] * len(chunks), [channels] * len(chunks))
        for index, (decoded, failed, first_error) in enumerate(results):
            if failed and not skip_bad:
                raise DataError(f"cannot decode {first_error}; fix or remove it, or pass --skip-bad-images")
            target[index * CHUNK : index * CHUNK + len(decoded)] = decoded
            bad += [index * CHUNK + position for position in failed]
            bar.update(len(decoded))
    return bad


def _fingerprint(files: list[Path], root: Path, size: int, channels: int, skip_bad: bool) -> str:
    digest = hashlib.sha256(f"{CACHE_VERSION} {size} {channels} {skip_bad}".encode())
    for path in files:
        status = path.stat()
        digest.update(f"{path.relative_to(root).as_posix()} {status.st_size} {status.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _split_roots(root: Path) -> dict[str, Path] | None:
    """``{"train": root/train, "test": root/test}`` when the folder gives its splits."""
    given = {split: root / split for split in ("train", "test")}
    return given if all(is_image_folder(path) for path in given.values()) else None


def _hold_out(count: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices): a seeded tenth, at most 10,000, held out; each sorted."""
    test_count = min(HOLD_OUT_MAX, max(1, int(count * HOLD_OUT_FRACTION))) if count > 1 else 0
    order = np.random.default_rng(HOLD_OUT_SEED).permutation(count)
    return np.sort(order[test_count:]), np.sort(order[:test_count])


def folder_parts(root: Path) -> tuple[dict[str, list[Path]], dict[str, np.ndarray | None], tuple[str, ...]]:
    """The images of each split of a plain image folder, their labels and the class names."""
    given = _split_roots(root)
    if given is None:
        files = list_images(root)
        train_index, test_index = _hold_out(len(files))
        labels, classes = _labels(root, files, root)
        parts = {"train": [files[i] for i in train_index], "test": [files[i] for i in test_index]}
        return (
            parts,
            {
                "train": None if labels is None else labels[train_index],
                "test": None if labels is None else labels[test_index],
            },
            classes,
        )
    parts = {split: list_images(split_root) for split, split_root in given.items()}
    named = {split: _label_names(split_root, parts[split], split_root) for split, split_root in given.items()}
    if any(names is None for names in named.values()):
        return parts, {split: None for split in parts}, ()
    classes = _class_order({name for names in named.values() for name in names})
    index = {name: position for position, name in enumerate(classes)}
    return (
        parts,
        {split: np.array([index[name] for name in names], np.int64) for split, names in named.items()},
        classes,
    )


def _build_cache(
    parts: dict[str, list[Path]],
    labels: dict[str, np.ndarray | None],
    classes: tuple[str, ...],
    size: int,
    channels: int,
    skip_bad: bool,
    key: str,
    fingerprint: str,
) -> dict:
    """Decode every split into ``<key>.<split>.npy`` (with labels) and write ``<key>.json``."""
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    grey = bool(parts["train"]) and _is_grey_file(parts["train"][0])
    meta: dict = {
        "version": CACHE_VERSION,
        "fingerprint": fingerprint,
        "classes": list(classes),
        "splits": {},
        "grey": grey,
    }
    for split, paths in parts.items():
        meta["splits"][split] = _decode_split(paths, labels[split], size, channels, skip_bad, folder / key, split)
    write_text_atomic(folder / f"{key}.json", json.dumps(meta))
    return meta


def _decode_split(
    paths: list[Path], labels: np.ndarray | None, size: int, channels: int, skip_bad: bool, stem: Path, split: str
) -> dict:
    """Decode one split into ``stem.<split>.npy`` (and its labels); returns its cache entry, with
    the positions of the images kept when some could not be decoded."""
    # A name of this build's own: two processes may build the same cache at once.
    unique = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
    temporary = stem.with_name(f".{stem.name}.{split}.{unique}.npy.tmp")
    if not paths:
        np.save(temporary, np.zeros((0, channels, size, size), np.uint8))
        os.replace(temporary, stem.with_name(f"{stem.name}.{split}.npy"))
        return {"count": 0, "skipped": 0, "labelled": False, "kept": None}
    images = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.uint8, shape=(len(paths), channels, size, size))
    bad = _decode_all(paths, size, channels, skip_bad, images)
    keep = np.setdiff1d(np.arange(len(paths)), bad)
    if bad:
        kept = np.lib.format.open_memmap(
            temporary.with_name(temporary.name + ".keep"),
            mode="w+",
            dtype=np.uint8,
            shape=(len(keep), channels, size, size),
        )
        kept[:] = images[keep]
        kept.flush()
        del kept
        os.replace(temporary.with_name(temporary.name + ".keep"), temporary)
        labels = None if labels is None else labels[keep]
        warnings.warn(
            f"skipped {len(bad)} images that could not be decoded, e.g. {paths[bad[0]]}", InfoganWarning, stacklevel=5
        )
    images.flush()
    del images
    os.replace(temporary, stem.with_name(f"{stem.name}.{split}.npy"))
    if labels is not None:
        label_temporary = stem.with_name(f".{stem.name}.{split}.{unique}.labels.npy")
        np.save(label_temporary, labels)
        os.replace(label_temporary, stem.with_name(f"{stem.name}.{split}.labels.npy"))
    return {
        "count": len(keep),
        "skipped": len(bad),
        "labelled": labels is not None,
        "kept": keep.tolist() if bad else None,
    }


def _is_grey_file(sample: Path) -> bool:
    try:
        with Image.open(sample) as image:
            return is_grey_mode(image.mode)
    except (OSError, UnidentifiedImageError):
        return False


def load_image_folder(
    root: str | Path, split: str, size: int, channels: int, skip_bad: bool = False
) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """One split of an image folder: uint8 (N, channels, size, size) memory-mapped from the cache,
    labels (N,) int64 or None, and the class names the labels index."""
    root = Path(root).resolve()
    files = list_images(root)
    if not files:
        raise DataError(f"no images (PNG, JPEG, BMP) in {root}")
    images, labels, classes, _ = load_cached(root, files, lambda: folder_parts(root), split, size, channels, skip_bad)
    return images, labels, classes


def load_cached(
    root: Path, files: list[Path], parts, split: str, size: int, channels: int, skip_bad: bool
) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...], list[int] | None]:
    """A split from the cache of ``root``'s ``files``, decoding them first when the cache is
    missing or stale. ``parts()`` gives (files, labels, class names) by split when decoding is
    needed. Returns images, labels, class names and the positions kept (None: all)."""
    key = hashlib.sha256(f"{root} {size} {channels}".encode()).hexdigest()[:24]
    fingerprint = _fingerprint(files, root, size, channels, skip_bad)
    meta_path = cache_folder() / f"{key}.json"
    meta = _read_meta(meta_path)
    if meta is not None and meta.get("version") != CACHE_VERSION:
        warnings.warn(
            f"{meta_path} was written by another infogan version; decoding {root} again", InfoganWarning, stacklevel=3
        )
    if meta is None or meta.get("fingerprint") != fingerprint or meta.get("version") != CACHE_VERSION:
        meta = _build_cache(*parts(), size, channels, skip_bad, key, fingerprint)
    if meta.get("grey") and channels == 3:
        warnings.warn(
            f"the images in {root} are grey; they are repeated into RGB for this architecture",
            InfoganWarning,
            stacklevel=3,
        )
    try:
        return _open_cached(key, split, meta)
    except (OSError, ValueError, KeyError):  # a cache file deleted or damaged by hand: decode again
        return _open_cached(key, split, _build_cache(*parts(), size, channels, skip_bad, key, fingerprint))


def _open_cached(key: str, split: str, meta: dict):
    folder, entry = cache_folder(), meta["splits"][split]
    # Copy-on-write memory map: pages are read when used, and the cache file never changes.
    images = np.load(folder / f"{key}.{split}.npy", mmap_mode="c" if entry["count"] else None)
    labels = np.load(folder / f"{key}.{split}.labels.npy") if entry["labelled"] else None
    return images, labels, tuple(meta.get("classes", ())), entry.get("kept")


def _read_meta(path: Path) -> dict | None:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None
