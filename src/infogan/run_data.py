"""The data a run trains and is evaluated on, in its architecture's format.

``resolve_architecture`` turns ``architecture="auto"`` into the appendix architecture that
fits the data's images (``networks.BY_IMAGE_FORMAT``); ``load_split`` reads a split brought
to that architecture's channels and side.
"""

from __future__ import annotations

from pathlib import Path

from infogan.config import TrainConfig
from infogan.data import ImageSet, load_dataset, named_reader, native_format
from infogan.networks import architecture_for, architecture_of, get_architecture


def absolute_source(source: str) -> str:
    """A path source made absolute (so a run resumes from any folder); a named set as it is."""
    if named_reader(source) is not None:
        return source
    path_text, colon, keys = source.partition(".npz:")
    path = Path(path_text + ".npz" if colon else source)
    if not path.exists():
        return source
    return str(path.resolve()) + (":" + keys if colon else "")


def resolve_architecture(config: TrainConfig) -> TrainConfig:
    """``config`` with its data source made absolute and ``architecture="auto"`` replaced by
    the architecture that fits its data."""
    config = config.with_changes(dataset=absolute_source(config.dataset))
    if config.architecture != "auto":
        return config
    channels, height, width = native_format(config.dataset, config.data_dir)
    name = architecture_for(channels, config.image_size or min(height, width))
    native = get_architecture(name).image_channels
    return config.with_changes(architecture=name, image_channels=None if channels == native else channels)


def load_split(config: TrainConfig, split: str, data_dir: str | Path | None = None) -> ImageSet:
    """A split of the config's data as uint8 (N, C, S, S) in its architecture's format."""
    arch = architecture_of(config)
    return load_dataset(
        config.dataset,
        split,
        data_dir or config.data_dir,
        size=arch.image_size,
        channels=arch.image_channels,
        skip_bad_images=config.skip_bad_images,
    )
