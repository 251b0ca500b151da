"""Rendered data sets with known factors (``base.RenderedSet``), one module each.

Importing this package registers every set in ``RENDERED_SETS``; ``infogan.data`` serves
each as a named data set whose splits carry the factor values.
"""

from infogan.data.rendered import chairs3d, dsprites, faces3d, svhn_like  # noqa: F401  (each registers its set)
from infogan.data.rendered.base import (
    RENDERED_SETS,
    Factor,
    RenderedGroundTruth,
    RenderedSet,
    get_rendered,
    register,
)
from infogan.data.rendered.sources import ground_truth_of

__all__ = [
    "RENDERED_SETS",
    "Factor",
    "RenderedGroundTruth",
    "RenderedSet",
    "get_rendered",
    "ground_truth_of",
    "register",
]
