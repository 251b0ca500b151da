"""``faces3d``: a shaded head turning, tilting and lit from different sides, 32x32 grey.

A stand-in, with known factors, for the 3D faces of Paysan et al. (2009) on which InfoGAN
(Chen et al., 2016, Figure 3) found azimuth, elevation, lighting and face width. The head is
a union of ellipsoids in its own frame (cranium, jaw, nose, ears, eyeballs, neck) with two
eye sockets carved out of the cranium and jaw, and a darker mouth; every camera ray is
intersected with each ellipsoid exactly (a quadratic), the nearest hit kept (a z-buffer),
and shaded by Lambert's law under one distant light plus an ambient term, on black. The
image is ray-cast at twice the size and box-filtered down (antialiasing).

Factors: azimuth (-90..90 deg, + turns the face to the viewer's right), elevation (-30..30
deg, + looks up), light direction (-90..90 deg in the horizontal plane, + lights from the
viewer's right, 0 from the camera), face width (0.8..1.2, scales the head across). The head
is mirror-symmetric, so azimuth -a lit from -l is the mirror image of azimuth a lit from l.
No nuisance variation: the image is a function of the four values alone.
"""

from __future__ import annotations

import numpy as np

from infogan.data.rendered import raycast
from infogan.data.rendered.base import Factor, RenderedSet, register

SUPERSAMPLE = 2  # rays per pixel side, box-filtered; 1 renders four times faster, with jagged edges
HALF_EXTENT = 1.25  # world units from the image centre to its edge
AMBIENT, DIFFUSE = 0.12, 0.88
LIGHT_HEIGHT = 0.35  # the light's upward component before normalising: lit a little from above
SUB_BATCH = 64  # images ray-cast at a time (the arrays stay in cache)
RENDER_CHUNK = 20_000  # images sorted by pose together: more make each sub-batch's poses closer

# Parts of the head, in its frame (x across, y up, z out of the face; the head's half height is ~1):
# name: (centre, half axes, albedo, x scales with width)
ADDED_PARTS = {
    "nose": ((0.0, -0.08, 0.84), (0.11, 0.25, 0.25), 0.9, False),
    "left ear": ((-0.7, 0.02, -0.05), (0.08, 0.22, 0.13), 0.85, True),
    "right ear": ((0.7, 0.02, -0.05), (0.08, 0.22, 0.13), 0.85, True),
    "left eye": ((-0.27, 0.2, 0.7), (0.075, 0.075, 0.075), 0.45, True),
    "right eye": ((0.27, 0.2, 0.7), (0.075, 0.075, 0.075), 0.45, True),
    "neck": ((0.0, -0.85, -0.15), (0.36, 0.6, 0.38), 0.8, True),
}
HEAD_PARTS = {
    "cranium": ((0.0, 0.1, 0.0), (0.7, 0.92, 0.85), 0.9, True),
    "jaw": ((0.0, -0.35, 0.12), (0.52, 0.55, 0.62), 0.9, True),
}
SOCKETS = {
    "left socket": ((-0.27, 0.2, 0.78), (0.15, 0.09, 0.12), 0.6, True),
    "right socket": ((0.27, 0.2, 0.78), (0.15, 0.09, 0.12), 0.6, True),
}
PARTS = {**HEAD_PARTS, **SOCKETS, **ADDED_PARTS}  # the order of the part indices
MOUTH = (0.22, -0.5, 0.035, 0.45)  # half width (scaled by width), height, half height, albedo


def _part_geometry(part: tuple, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and half axes (B, 3) float32 of a part for face widths (B,): a part that widens has its
    centre's x scaled by the width, and its x half axis too when it sits on the middle line."""
    centre, axes, _, widens = part
    centre = np.tile(np.asarray(centre, np.float32), (len(width), 1))
    axes = np.tile(np.asarray(axes, np.float32), (len(width), 1))
    if widens:
        if centre[0, 0] == 0:
            axes[:, 0] *= width
        centre[:, 0] *= width
    return centre, axes


def _cast(rays: raycast.Rays, rotation: np.ndarray, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (B, P, P) to the nearest surface of the heads posed by ``rotation`` (B, 3, 3) (+inf on
    the background) and which part it belongs to (B, P, P), an index into ``PARTS``. Each part is
    intersected only over the rectangle it covers in the batch's images."""
    distance = np.full(rays.image_shape, np.inf, np.float32)
    part_index = np.zeros(rays.image_shape, np.int8)
    head_exit = np.full(rays.image_shape, -np.inf, np.float32)
    for index, (name, part) in enumerate(PARTS.items()):
        centre, axes = _part_geometry(part, width)
        rows, columns = raycast.ellipsoid_pixels(rays, rotation, centre, axes)
        entry, exit_ = raycast.ellipsoid_hits(rays.crop(rows, columns), centre, axes)
        window, window_exit = distance[:, rows, columns], head_exit[:, rows, columns]  # views
        if name in SOCKETS:  # carve: a head surface inside the socket moves to the socket's far wall
            closer, entry = (entry <= window) & (window < exit_) & (exit_ < window_exit), exit_
        else:
            closer = entry < window
        np.copyto(window, entry, where=closer)
        np.copyto(part_index[:, rows, columns], index, where=closer)
        if name in HEAD_PARTS:
            np.maximum(window_exit, np.where(np.isfinite(exit_), exit_, -np.inf), out=window_exit)
    return distance, part_index


def _shade(rays, distance, part_index, width, light_head) -> np.ndarray:
    """Intensities (B, P, P) in [0, 1]: albedo x (ambient + diffuse x max(0, n . l)), 0 on the background;
    n is the gradient of the hit part's ellipsoid, (point - centre) / axes^2, reversed in a socket."""
    geometry = [_part_geometry(part, width) for part in PARTS.values()]
    sign = np.array([-1.0 if name in SOCKETS else 1.0 for name in PARTS], np.float32)
    centres = np.stack([centre for centre, _ in geometry], 1)  # (B, K, 3)
    signed_curvature = sign[None, :, None] / np.stack([axis for _, axis in geometry], 1) ** 2  # (B, K, 3)
    per_image = np.arange(len(part_index), dtype=np.intp)[:, None, None] * len(PARTS) + part_index  # (B, P, P)
    hit = np.isfinite(distance)
    points = rays.points(np.where(hit, distance, 0.0))
    normal = [
        (points[k] - centres[:, :, k].ravel().take(per_image)) * signed_curvature[:, :, k].ravel().take(per_image)
        for k in range(3)
    ]
    length = np.maximum(np.sqrt(normal[0] ** 2 + normal[1] ** 2 + normal[2] ** 2), 1e-12)
    cosine = sum(normal[k] * light_head[:, k, None, None] for k in range(3)) / length
    albedo = np.tile(np.array([part[2] for part in PARTS.values()], np.float32), len(part_index)).take(per_image)
    half_width, mouth_y, mouth_half_height, mouth_albedo = MOUTH
    in_mouth = (np.abs(points[0]) < half_width * width[:, None, None]) & (
        np.abs(points[1] - mouth_y) < mouth_half_height
    )
    albedo = np.where(in_mouth & (points[2] > 0.3) & (part_index <= 1), mouth_albedo, albedo)
    return np.where(hit, albedo * (AMBIENT + DIFFUSE * np.maximum(cosine, 0.0)), 0.0)


def render_faces(azimuth, elevation, light, width) -> np.ndarray:
    """Intensities float32 (B, 32, 32) in [0, 1] of heads at the factor values, each (B,)."""
    rotation = raycast.rotation_x(elevation) @ raycast.rotation_y(azimuth)  # head frame -> world
    rays = raycast.Rays.of(rotation, raycast.screen_coordinates(32 * SUPERSAMPLE, HALF_EXTENT))
    width = np.asarray(width, np.float32)
    distance, part_index = _cast(rays, rotation, width)
    light_angle = np.radians(np.asarray(light, np.float64))
    light_world = np.stack([np.sin(light_angle), np.full_like(light_angle, LIGHT_HEIGHT), np.cos(light_angle)], 1)
    light_head = np.einsum("bji,bj->bi", rotation, raycast.unit(light_world)).astype(np.float32)  # R^T l
    return raycast.box_downsample(_shade(rays, distance, part_index, width, light_head), SUPERSAMPLE)


@register("faces3d")
class Faces3D(RenderedSet):
    """Shaded heads, 32x32 grey: azimuth, elevation, light direction and face width (see the module)."""

    name = "faces3d"
    image_channels = 1
    image_size = 32
    factors = (
        Factor("azimuth", "ordinal", 37, -90.0, 90.0, unit="deg"),
        Factor("elevation", "ordinal", 21, -30.0, 30.0, unit="deg"),
        Factor("light", "ordinal", 37, -90.0, 90.0, unit="deg"),
        Factor("width", "ordinal", 21, 0.8, 1.2),
    )
    train_size = 60_000
    test_size = 10_000

    def render(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Images uint8 (N, 1, 32, 32) of values (N, 4): azimuth, elevation, light (deg), width."""
        values = np.asarray(values, np.float64)
        order = np.lexsort((values[:, 1], np.round(values[:, 0] / 3)))  # similar poses together: see _cast
        intensity = np.zeros((len(values), 32, 32), np.float32)
        for start in range(0, len(values), SUB_BATCH):
            chosen = order[start : start + SUB_BATCH]
            intensity[chosen] = render_faces(*values[chosen].T)
        return raycast.to_uint8(intensity)[:, None]

    def render_all(self, values: np.ndarray, rng: np.random.Generator, chunk: int = RENDER_CHUNK) -> np.ndarray:
        """``RenderedSet.render_all`` in larger chunks, so that the poses sorted together are closer."""
        return super().render_all(values, rng, chunk)
