"""Data sources: every one yields uint8 images (N, C, H, W) and, when it has them, labels.

``load_dataset(source, split, ...)`` takes a named set or a path, and detects the format:

=====================================  ==================================================
source                                 reader
=====================================  ==================================================
``mnist``                              the bundled MNIST (MD5-checked)
``fashion-mnist``                      Fashion-MNIST from ``--data-dir`` or Debian's package
FOLDER with ``*train-images-idx3*``    any MNIST-format IDX set (KMNIST, EMNIST, ...)
the original dSprites FILE.npz         dSprites with its factors (``infogan.data.dsprites_npz``)
FILE.npz[:IMAGES[,LABELS]], FILE.npy   NumPy arrays (``infogan.data.arrays``)
FILE.mat, FOLDER with train_32x32.mat  SVHN (``infogan.data.svhn``)
FOLDER with img_align_celeba/          CelebA (``infogan.data.celeba``)
FOLDER of PNG/JPEG/BMP files           an image folder (``infogan.data.folder``)
a rendered set's name                  rendered with known factors (``infogan.data.rendered``):
                                       ``faces3d``, ``chairs3d``, ``svhn-like``
=====================================  ==================================================

A source without a test split gets a seeded hold-out of a tenth of its training images (at
most 10,000). Images are brought to the requested channels and size at the door
(``infogan.data.convert``), so the trainer only ever sees the architecture's format.
Adding a source is one reader and one line in ``NAMED_SETS`` or ``_PATH_READERS``, or one
registered ``RenderedSet``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from infogan.data import arrays, celeba, dsprites_npz, folder, idx, rendered, svhn
from infogan.data.convert import conform
from infogan.data.packed import PackedImages
from infogan.errors import DataError, InfoganWarning

SPLITS = ("train", "test")


@dataclass
class ImageSet:
    """A split of a data set: images (N, C, H, W) uint8, labels (N,) int64 or None.

    ``images`` is a uint8 tensor, or for a large binary set (dSprites' 737,280 images) a
    ``PackedImages`` of bits that gives uint8 tensors (B, C, H, W) when indexed by a batch.

    ``attributes`` (N, K) 0/1 with ``attribute_names`` (e.g. CelebA's 40), and the
    ``class_names`` that the labels index, when the source has them. A set with known
    factors (``infogan.data.rendered``) has ``factors`` (N, F) float64, each image's factor
    values, described by the ``factor_spec`` rows.
    """

    images: torch.Tensor | PackedImages
    labels: torch.Tensor | None = None
    attributes: np.ndarray | None = None
    attribute_names: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()
    factors: np.ndarray | None = None
    factor_spec: tuple[rendered.Factor, ...] = ()
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return self.images.shape[0]


Reader = Callable[..., ImageSet]


def _idx_set(name: str) -> Reader:
    def read(split: str, data_dir: str | Path | None, size: int | None, channels: int | None, skip_bad: bool):
        images, labels = idx.load_idx_split(idx.named_set_folder(name, data_dir), split, known_set=name)
        return _from_arrays(images[:, None], labels, name)

    return read


def _not_bundled(name: str, files: str) -> Reader:
    def read(*_: object) -> ImageSet:
        raise DataError(f"the {name} data set is not bundled and cannot be downloaded here; pass --data with {files}")

    return read


def _rendered_set(name: str) -> Reader:
    def read(split: str, *_: object) -> ImageSet:
        rendered_set = rendered.get_rendered(name)
        images, values = rendered_set.load_split(split)
        labels = rendered_set.labels_of(values)
        return ImageSet(
            images if isinstance(images, PackedImages) else torch.from_numpy(images),
            None if labels is None else torch.from_numpy(labels),
            factors=values,
            factor_spec=rendered_set.factors,
            class_names=rendered_set.label_names(),
            source=name,
        )

    return read


NAMED_SETS: dict[str, Reader] = {
    "mnist": _idx_set("mnist"),
    "fashion-mnist": _idx_set("fashion-mnist"),
    "svhn": _not_bundled("SVHN", "the folder of train_32x32.mat and test_32x32.mat"),
    "celeba": _not_bundled("CelebA", "the folder of img_align_celeba/ and list_eval_partition.txt"),
}


def named_reader(source: str) -> Reader | None:
    """The reader of a named set (``NAMED_SETS``, then every registered rendered set), or None."""
    if source in rendered.RENDERED_SETS:
        return _rendered_set(source)
    return NAMED_SETS.get(source)


def named_sets() -> list[str]:
    """Every name ``load_dataset`` takes, sorted."""
    return sorted(set(NAMED_SETS) | set(rendered.RENDERED_SETS))


def _from_arrays(images: np.ndarray, labels: np.ndarray | None, source: str, **extra: object) -> ImageSet:
    images = arrays.images_from_array(images, source)
    if not images.flags.writeable:  # torch tensors must not wrap read-only memory
        images = np.array(images)
    labels = arrays.labels_from_array(labels, len(images), source)
    return ImageSet(
        torch.from_numpy(images), None if labels is None else torch.from_numpy(labels), source=source, **extra
    )


def _read_numpy(path: Path, source: str, split: str, size, channels, skip_bad) -> ImageSet:
    images, labels = arrays.load_numpy_file(source)
    return _hold_out_split(_from_arrays(images, labels, source), split)


def _read_svhn(path: Path, source: str, split: str, size, channels, skip_bad) -> ImageSet:
    train_file, test_file = svhn.svhn_file(path, "train"), svhn.svhn_file(path, "test")
    if train_file is None:
        raise DataError(f"no SVHN training file ({svhn.SPLIT_FILES['train']}) at {path}")
    if test_file is None:
        return _hold_out_split(_from_arrays(*svhn.load_svhn_mat(train_file), source), split)
    return _from_arrays(*svhn.load_svhn_mat(train_file if split == "train" else test_file), source)


def _read_idx(path: Path, source: str, split: str, size, channels, skip_bad) -> ImageSet:
    if "test-images" not in idx.find_idx_files(path):
        images, labels = idx.load_idx_split(path, "train")
        return _hold_out_split(_from_arrays(images[:, None], labels, source), split)
    images, labels = idx.load_idx_split(path, split)
    return _from_arrays(images[:, None], labels, source)


def _read_celeba(path: Path, source: str, split: str, size, channels, skip_bad) -> ImageSet:
    images, attributes, names = celeba.load_celeba(path, split, size or 32, channels or 3, skip_bad)
    return ImageSet(torch.from_numpy(images), None, attributes, names, source=source)


def _read_folder(path: Path, source: str, split: str, size, channels, skip_bad) -> ImageSet:
    native_channels, native_size = peek_image_folder(path, skip_bad)
    images, labels, classes = folder.load_image_folder(
        path, split, size or native_size, channels or native_channels, skip_bad
    )
    return ImageSet(
        torch.from_numpy(images),
        None if labels is None else torch.from_numpy(labels),
        class_names=classes,
        source=source,
    )


def _read_dsprites(path: Path, source: str, split: str, size, channels, skip_bad) -> ImageSet:
    if ".npz:" in source:  # arrays named by the user: the generic reader
        return _read_numpy(path, source, split, size, channels, skip_bad)
    file = dsprites_npz.load_dsprites_file(path)
    images, values = dsprites_npz.split_of(file, split)
    images = images if isinstance(images, PackedImages) else torch.from_numpy(images)
    return ImageSet(images, factors=values, factor_spec=file.factor_spec, source=source)


# Checked in order: the first whose test accepts the path reads it.
_PATH_READERS: list[tuple[Callable[[Path], bool], Callable[..., ImageSet]]] = [
    (dsprites_npz.is_dsprites_npz, _read_dsprites),
    (lambda path: path.suffix in (".npz", ".npy"), _read_numpy),
    (svhn.is_svhn_source, _read_svhn),
    (celeba.is_celeba_folder, _read_celeba),
    (idx.is_idx_folder, _read_idx),
    (folder.is_image_folder, _read_folder),
]


def _hold_out_split(full: ImageSet, split: str) -> ImageSet:
    """The seeded hold-out (see ``folder._hold_out``) of a source that has no test split."""
    train_index, test_index = folder._hold_out(len(full))
    chosen = torch.from_numpy(train_index if split == "train" else test_index)
    return ImageSet(
        full.images[chosen],
        None if full.labels is None else full.labels[chosen],
        class_names=full.class_names,
        source=full.source,
    )


def _source_path(source: str) -> Path:
    return arrays.split_npz_source(source)[0] if ".npz:" in source else Path(source)


def load_dataset(
    source: str,
    split: str,
    data_dir: str | Path | None = None,
    size: int | None = None,
    channels: int | None = None,
    skip_bad_images: bool = False,
) -> ImageSet:
    """One split of a named set or a path, as uint8 images (N, channels, size, size).

    ``size`` and ``channels`` None keep the source's own format (an image folder takes its
    first image's). ``data_dir`` is where a named set's files are (default: its usual place).
    """
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r} (train or test)")
    if not isinstance(source, str) or not source:
        raise DataError(f"a data source must be a name or a path, got {source!r}")
    reader = named_reader(source)
    if reader is not None:
        image_set = reader(split, data_dir, size, channels, skip_bad_images)
    else:
        path = _source_path(source)
        if not path.exists():
            known = ", ".join(named_sets())
            raise DataError(f"data {source!r} is neither a known set ({known}) nor an existing path")
        reader = next((read for accepts, read in _PATH_READERS if accepts(path)), None)
        if reader is None:
            raise DataError(
                f"{path} holds no data infogan reads (an image folder, MNIST-format IDX files, "
                ".npz/.npy, SVHN .mat, or CelebA's layout)"
            )
        image_set = reader(path, source, split, size, channels, skip_bad_images)
    if channels == 3 and image_set.images.shape[1] == 1:
        warnings.warn(
            f"the images of {source} are grey; they are repeated into RGB for this architecture",
            InfoganWarning,
            stacklevel=2,
        )
    native = tuple(image_set.images.shape[1:])
    wanted = (channels or native[0], size or native[2], size or native[2])  # conform makes square images
    if (size is not None or channels is not None) and wanted != native:
        if isinstance(image_set.images, PackedImages):
            raise DataError(
                f"{source} is stored as {native[1]}x{native[2]} binary images ({native[0]} channel) and is not "
                f"converted to {wanted[1]}x{wanted[2]} ({wanted[0]}); use a 64x64 grey architecture (--preset dsprites)"
            )
        image_set.images = conform(image_set.images, wanted[0], wanted[1])
    return image_set


def peek_image_folder(path: Path, skip_bad: bool = False) -> tuple[int, int]:
    """(channels, size) of an image folder's first decodable image: 1 for grey modes, else 3;
    its shorter side. Without ``skip_bad``, the first file must decode."""
    files = folder.list_images(Path(path))
    if not files:
        raise DataError(f"no images (PNG, JPEG, BMP) in {path}")
    for candidate in files:
        try:
            with Image.open(candidate) as image:
                image.load()
                return (1 if folder.is_grey_mode(image.mode) else 3), min(image.size)
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError, SyntaxError):
            if not skip_bad:
                raise DataError(f"cannot decode {candidate}; fix or remove it, or pass --skip-bad-images") from None
    raise DataError(f"no image in {path} can be decoded")


def native_format(source: str, data_dir: str | Path | None = None) -> tuple[int, int, int]:
    """(channels, height, width) of a source's images as stored, read cheaply where possible."""
    if named_reader(source) is None:
        path = _source_path(source)
        if folder.is_image_folder(path) and not celeba.is_celeba_folder(path):
            channels, size = peek_image_folder(path, skip_bad=True)
            return channels, size, size
        if celeba.is_celeba_folder(path):
            return 3, 218, 178
    images = load_dataset(source, "train", data_dir).images
    return tuple(images.shape[1:])  # type: ignore[return-value]


def to_float_images(images: torch.Tensor, output_activation: str = "sigmoid") -> torch.Tensor:
    """uint8 images (B, C, H, W) -> float32 in [0, 1] (sigmoid G) or [-1, 1] (tanh G)."""
    scaled = images.float().div_(255.0)
    return scaled if output_activation == "sigmoid" else scaled.mul_(2).sub_(1)


class EpochSampler:
    """Batches of indices, a fresh random permutation each epoch, from a seeded generator.

    Its whole state (generator state, the current permutation and position) round-trips
    through ``state_dict`` so that a resumed run draws exactly the batches it would have.
    """

    def __init__(self, size: int, batch_size: int, seed: int):
        if batch_size > size:
            raise DataError(f"batch size {batch_size} exceeds the data set's {size} images")
        self.size, self.batch_size = size, batch_size
        self.rng = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(size, generator=self.rng)
        self.position = 0

    def next_indices(self) -> torch.Tensor:
        """Indices (batch_size,) of the next batch; a partial last batch is dropped."""
        if self.position + self.batch_size > self.size:
            self.order = torch.randperm(self.size, generator=self.rng)
            self.position = 0
        indices = self.order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        return indices

    def state_dict(self) -> dict:
        return {"rng": self.rng.get_state(), "order": self.order.clone(), "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.rng.set_state(state["rng"])
        self.order = state["order"].clone()
        self.position = int(state["position"])
