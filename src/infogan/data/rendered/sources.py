"""``ground_truth_of``: the metrics' ``GroundTruth`` of any run's data source, when it has one."""

from __future__ import annotations

from pathlib import Path

from infogan.data import dsprites_npz
from infogan.data.packed import GridGroundTruth
from infogan.data.rendered.base import RENDERED_SETS, RenderedGroundTruth, get_rendered
from infogan.data.rendered.dsprites import GRID_SIZES, DSprites


def ground_truth_of(source: str) -> GridGroundTruth | RenderedGroundTruth | None:
    """The ``GroundTruth`` (``infogan.evaluate.disentanglement_sampled``) of a data source, or None.

    A rendered set's name gives its ground truth (``dsprites``: index lookups in its cached
    grid, rendered into the cache the first time); a path to a dSprites ``.npz`` gives one
    backed by the file's images; any other source (MNIST, an image folder, ...) has no known
    factors and gives None.
    """
    if source in RENDERED_SETS:
        rendered_set = get_rendered(source)
        if isinstance(rendered_set, DSprites):
            return GridGroundTruth(rendered_set.packed_grid(), GRID_SIZES)
        return RenderedGroundTruth(rendered_set)
    path = Path(source)
    if dsprites_npz.is_dsprites_npz(path):
        return dsprites_npz.load_dsprites_file(path).ground_truth()
    return None
