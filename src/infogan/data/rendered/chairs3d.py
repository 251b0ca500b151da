"""``chairs3d``: chairs made of boxes, turning on the spot, 64x64 grey.

A stand-in, with known factors, for the 3D chairs of Aubry et al. (2014) on which InfoGAN
(Chen et al., 2016, Figure 4) found rotation and width. Each chair type is a list of
axis-aligned boxes in the chair's frame (x across, y up from the floor, z to the front);
every camera ray is intersected with every box exactly (the slab method), the nearest hit
kept (a z-buffer), and the face it hit shaded by Lambert's law under one distant light
fixed in the world, plus an ambient term, grey on white. The camera looks down at the chair
from a fixed elevation of ``CAMERA_ELEVATION`` degrees.

Factors: type (categorical, ``CHAIR_TYPES``), rotation (0..360 deg about the vertical,
circular; 0 faces the camera, + turns the chair's front to the viewer's right), width
(0.8..1.2: the chair's x coordinates scaled, part thicknesses kept). No nuisance variation.
"""

from __future__ import annotations

import numpy as np

from infogan.data.rendered import raycast
from infogan.data.rendered.base import Factor, RenderedSet, register

CAMERA_ELEVATION = 20.0  # degrees the camera looks down
HALF_EXTENT = 0.68  # world units from the image centre to its edge
CENTRE_HEIGHT = 0.52  # the chair's height at the image centre
LIGHT = (-0.45, 0.8, 0.55)  # towards the light, in the world: from the upper left, in front
AMBIENT, DIFFUSE, ALBEDO = 0.25, 0.7, 0.85
SUB_BATCH = 64
THIN = 0.1  # parts narrower (half width) than this keep their width when the chair widens

Box = tuple[float, float, float, float, float, float]  # centre x, y, z; half sizes x, y, z


def _legs(height: float, half: float = 0.22, thick: float = 0.025) -> list[Box]:
    return [(sx * half, height / 2, sz * half, thick, height / 2, thick) for sx in (-1, 1) for sz in (-1, 1)]


def _seat(height: float = 0.45, half: float = 0.25) -> Box:
    return (0.0, height, 0.0, half, 0.03, half)


def _back(top: float, seat: float = 0.45) -> Box:
    return (0.0, (top + seat) / 2, -0.225, 0.25, (top - seat) / 2, 0.025)


def _arms(height: float = 0.64) -> list[Box]:
    rests = [(sx * 0.27, height, 0.0, 0.03, 0.02, 0.23) for sx in (-1, 1)]
    posts = [(sx * 0.27, (height + 0.45) / 2, 0.19, 0.02, (height - 0.45) / 2, 0.02) for sx in (-1, 1)]
    return rests + posts


CHAIR_TYPES: dict[str, list[Box]] = {
    "side chair": [_seat(), _back(0.95), *_legs(0.42)],
    "high back": [_seat(), _back(1.12), *_legs(0.42)],
    "armchair": [_seat(), _back(0.95), *_legs(0.42), *_arms()],
    "stool": [_seat(half=0.2), *_legs(0.42, half=0.17)],
    "swivel": [
        _seat(),
        _back(0.9),
        (0.0, 0.24, 0.0, 0.03, 0.2, 0.03),
        (0.0, 0.025, 0.0, 0.26, 0.025, 0.03),
        (0.0, 0.025, 0.0, 0.03, 0.025, 0.26),
    ],
    "sled": [_seat(), _back(0.95), *[(sx * 0.23, 0.21, 0.0, 0.02, 0.21, 0.24) for sx in (-1, 1)]],
    "slat back": [
        _seat(),
        *_legs(0.42),
        *[(sx * 0.15, 0.66, -0.225, 0.03, 0.18, 0.02) for sx in (-1, 0, 1)],
        (0.0, 0.87, -0.225, 0.25, 0.04, 0.025),
    ],
    "club chair": [
        (0.0, 0.2, 0.02, 0.25, 0.2, 0.23),
        (0.0, 0.45, -0.2, 0.25, 0.3, 0.06),
        *[(sx * 0.31, 0.3, 0.0, 0.06, 0.3, 0.26) for sx in (-1, 1)],
    ],
    "bar stool": [
        _seat(0.72, half=0.18),
        *_legs(0.7, half=0.15),
        (0.0, 0.93, -0.17, 0.18, 0.08, 0.02),
        *[(0.0, 0.25, sz * 0.15, 0.15, 0.015, 0.015) for sz in (-1, 1)],
        *[(sx * 0.15, 0.25, 0.0, 0.015, 0.015, 0.15) for sx in (-1, 1)],
    ],
    "ladder back": [
        _seat(),
        *[(sx * 0.22, 0.21, 0.22, 0.025, 0.21, 0.025) for sx in (-1, 1)],
        *[(sx * 0.22, 0.525, -0.22, 0.025, 0.525, 0.025) for sx in (-1, 1)],
        *[(0.0, height, -0.22, 0.22, 0.03, 0.015) for height in (0.65, 0.8, 0.95)],
    ],
}
MAX_BOXES = max(len(boxes) for boxes in CHAIR_TYPES.values())


def _corner_table() -> np.ndarray:
    """(types, MAX_BOXES, 2, 3) float32: each box's low and high corners at width 1; padding boxes
    are empty (low > high) and never hit."""
    table = np.zeros((len(CHAIR_TYPES), MAX_BOXES, 2, 3), np.float32)
    table[:, :, 0], table[:, :, 1] = 1.0, -1.0
    for index, boxes in enumerate(CHAIR_TYPES.values()):
        for slot, (*centre, half_x, half_y, half_z) in enumerate(boxes):
            half = np.array([half_x, half_y, half_z], np.float32)
            table[index, slot] = [np.subtract(centre, half), np.add(centre, half)]
    table[:, :, :, 1] -= CENTRE_HEIGHT
    return table


CORNERS = _corner_table()


def _widened(corners: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Corners (B, K, 2, 3) with x widened by ``width`` (B,): centres scaled, thin parts' sizes kept."""
    centre_x, half_x = corners[:, :, :, 0].mean(2), (corners[:, :, 1, 0] - corners[:, :, 0, 0]) / 2
    scale = width[:, None]
    half_x = np.where(half_x > THIN, half_x * scale, half_x)
    out = corners.copy()
    out[:, :, 0, 0], out[:, :, 1, 0] = centre_x * scale - half_x, centre_x * scale + half_x
    return out


def _box_pixels(rays: raycast.Rays, rotation: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns that boxes (corners (B, 3) each, in the chair's frame) cover in any of
    the images of chairs posed by ``rotation`` (B, 3, 3)."""
    choose = np.array([[(i >> k) & 1 for k in range(3)] for i in range(8)], np.float32)  # (8, 3) corner masks
    corners = low[:, None] + choose[None] * (high - low)[:, None]  # (B, 8, 3)
    world = np.einsum("bij,bcj->bci", rotation, corners)
    return raycast.pixel_span(world[..., 1], rays.x, top_first=True), raycast.pixel_span(world[..., 0], rays.x)


def render_chairs(chair_type: np.ndarray, rotation_deg: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Intensities float32 (B, 64, 64) in [0, 1] of chairs at the factor values, each (B,).

    Each box is intersected only over the rectangle it covers in the batch's images, so a batch
    of one type at similar rotations (``Chairs3D.render`` sorts them so) renders fastest."""
    rotation = raycast.rotation_x(np.full(len(rotation_deg), -CAMERA_ELEVATION)) @ raycast.rotation_y(rotation_deg)
    rays = raycast.Rays.of(rotation, raycast.screen_coordinates(64, HALF_EXTENT))
    corners = _widened(CORNERS[np.asarray(chair_type, np.intp)], np.asarray(width, np.float32))
    distance = np.full(rays.image_shape, np.inf, np.float32)
    face_axis = np.zeros(rays.image_shape, np.int8)
    for slot in range(MAX_BOXES):
        low, high = corners[:, slot, 0], corners[:, slot, 1]
        present = (low < high).all(1)
        if not present.any():
            continue
        rows, columns = _box_pixels(rays, rotation[present], low[present], high[present])
        entry, axis = raycast.box_hits(rays.crop(rows, columns), low, high)
        window, window_axis = distance[:, rows, columns], face_axis[:, rows, columns]  # views
        closer = entry < window
        np.copyto(window, entry, where=closer)
        np.copyto(window_axis, axis, where=closer)
    light_chair = np.einsum("bji,j->bi", rotation, raycast.unit(np.array(LIGHT))).astype(np.float32)  # R^T l
    facing = -np.sign(rays.direction) * light_chair  # (B, 3): n . l of the face each axis's slab shows
    shade = ALBEDO * (AMBIENT + DIFFUSE * np.maximum(facing, 0.0))
    lit = np.take_along_axis(shade, face_axis.reshape(len(shade), -1).astype(np.intp), 1).reshape(distance.shape)
    return np.where(np.isfinite(distance), lit, 1.0)


@register("chairs3d")
class Chairs3D(RenderedSet):
    """Chairs of boxes, 64x64 grey: type, rotation and width (see the module)."""

    name = "chairs3d"
    image_channels = 1
    image_size = 64
    factors = (
        Factor("type", "categorical", len(CHAIR_TYPES), names=tuple(CHAIR_TYPES)),
        Factor("rotation", "circular", 32, 0.0, 360.0, unit="deg", endpoint=False),
        Factor("width", "ordinal", 21, 0.8, 1.2),
    )
    train_size = 60_000
    label_factor = "type"  # the paper's claim: chair type in the categorical codes
    test_size = 10_000

    def render(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Images uint8 (N, 1, 64, 64) of values (N, 3): type index, rotation (deg), width."""
        values = np.asarray(values, np.float64)
        order = np.lexsort((values[:, 1] % 360, values[:, 0]))  # by type, then rotation: see render_chairs
        intensity = np.zeros((len(values), 64, 64), np.float32)
        for start in range(0, len(values), SUB_BATCH):
            chosen = order[start : start + SUB_BATCH]
            intensity[chosen] = render_chairs(*values[chosen].T)
        return raycast.to_uint8(intensity)[:, None]
