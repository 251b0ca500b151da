"""Ray casting for the rendered sets: an orthographic camera, rotations, exact ray-surface
intersections, and the conversion of intensities to pixels.

The camera looks along -z from far along +z, screen x to the right, y up; the top image row
is the largest y. An object is posed by rotations R (B, 3, 3) from its own frame to the
world's, and its surfaces are intersected in its own frame, where every camera ray starts at
``x u + y v + w`` and runs along one direction per image (``Rays``): quantities affine in
the screen's (x, y) are then sums of a row and a column, which keeps the work per pixel small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CAMERA_DISTANCE = 10.0  # where the rays start, in world units along +z; beyond every object


def screen_coordinates(pixels: int, half_extent: float) -> np.ndarray:
    """Centres (pixels,) of a row of pixels spanning [-half_extent, half_extent], increasing."""
    return ((np.arange(pixels, dtype=np.float32) + 0.5) / pixels * 2 - 1) * half_extent


def rotation_y(angle_deg: np.ndarray) -> np.ndarray:
    """Rotations (B, 3, 3) about the vertical axis: +angle turns +z towards +x."""
    angle = np.radians(np.asarray(angle_deg, np.float64))
    cos, sin, zero, one = np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)
    return np.stack(
        [np.stack([cos, zero, sin], -1), np.stack([zero, one, zero], -1), np.stack([-sin, zero, cos], -1)], 1
    )


def rotation_x(angle_deg: np.ndarray) -> np.ndarray:
    """Rotations (B, 3, 3) about the horizontal screen axis: +angle turns +z towards +y (looks up)."""
    angle = np.radians(np.asarray(angle_deg, np.float64))
    cos, sin, zero, one = np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)
    return np.stack(
        [np.stack([one, zero, zero], -1), np.stack([zero, cos, sin], -1), np.stack([zero, -sin, cos], -1)], 1
    )


@dataclass(frozen=True)
class Rays:
    """The camera's rays in an object's frame: screen point (x, y) starts at ``x u + y v + w`` and
    runs along ``direction``; u, v, w, direction (B, 3) float32; ``x`` (W,) the screen x of the
    image's columns, left to right, ``y`` (H,) the screen y of its rows, top first."""

    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    direction: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, rotation: np.ndarray, screen: np.ndarray) -> Rays:
        """The rays of an object posed by ``rotation`` (B, 3, 3) (its frame -> the world's) through a
        square image whose pixel centres are ``screen`` (P,) (``screen_coordinates``)."""
        to_object = np.transpose(rotation, (0, 2, 1)).astype(np.float32)  # R^T: world vectors -> object frame
        u, v, z_axis = to_object[:, :, 0], to_object[:, :, 1], to_object[:, :, 2]
        screen = screen.astype(np.float32)
        return cls(u, v, CAMERA_DISTANCE * z_axis, -z_axis, screen, screen[::-1].copy())

    def crop(self, rows: slice, columns: slice) -> Rays:
        """The rays of a rectangle of the image."""
        return Rays(self.u, self.v, self.w, self.direction, self.x[columns], self.y[rows])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (len(self.u), len(self.y), len(self.x))

    def separable(self, along_x: np.ndarray, along_y: np.ndarray, constant: np.ndarray) -> np.ndarray:
        """``x along_x + y along_y + constant`` (B, H, W) for per-image scalars (B,)."""
        x, y = self.x[None, None, :], self.y[None, :, None]
        return x * along_x[:, None, None] + (y * along_y[:, None, None] + constant[:, None, None])

    def points(self, distance: np.ndarray) -> list[np.ndarray]:
        """The three coordinates (B, H, W) of the points ``distance`` (B, H, W) along the rays."""
        return [
            self.separable(self.u[:, k], self.v[:, k], self.w[:, k]) + distance * self.direction[:, k, None, None]
            for k in range(3)
        ]


def pixel_span(screen_values: np.ndarray, screen: np.ndarray, top_first: bool = False) -> slice:
    """The pixels (a slice of ``screen`` (P,), the pixel centres) that cover the screen
    coordinates ``screen_values`` (any shape), with a pixel or more to spare; rows run top first."""
    pixels, step = len(screen), float(screen[1] - screen[0])
    positions = (np.asarray(screen_values) - float(screen[0])) / step
    if top_first:
        positions = pixels - 1 - positions
    low, high = int(np.floor(positions.min())) - 1, int(np.ceil(positions.max())) + 2
    return slice(min(max(low, 0), pixels), min(max(high, 0), pixels))


def ellipsoid_pixels(rays: Rays, rotation: np.ndarray, centre: np.ndarray, axes: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns that ellipsoids (centre, half axes (B, 3), in the frame that ``rotation``
    (B, 3, 3) poses) cover in any of the images: their screen outline's bounding box."""
    world_centre = np.einsum("bij,bj->bi", rotation, centre)
    reach = np.sqrt(np.einsum("bij,bj->bi", rotation**2, axes**2))  # half extent along each world axis
    rows = pixel_span(np.stack([world_centre[:, 1] - reach[:, 1], world_centre[:, 1] + reach[:, 1]]), rays.x, True)
    columns = pixel_span(np.stack([world_centre[:, 0] - reach[:, 0], world_centre[:, 0] + reach[:, 0]]), rays.x)
    return rows, columns


def ellipsoid_hits(rays: Rays, centre: np.ndarray, axes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit distances (B, P, P) of the rays through ellipsoids (centre, half axes (B, 3)),
    +inf for both where a ray misses; solved as the quadratic |o' + t d'|^2 = 1 in the ellipsoid's
    unit-sphere coordinates, its terms separable in the screen's x and y."""
    u, v, w, d = rays.u / axes, rays.v / axes, (rays.w - centre) / axes, rays.direction / axes
    a = (d * d).sum(1)[:, None, None]
    half_b = rays.separable((u * d).sum(1), (v * d).sum(1), (w * d).sum(1))
    x, y = rays.x[None, None, :], rays.y[None, :, None]
    squared_x = x * (x * (u * u).sum(1)[:, None, None] + 2 * (u * w).sum(1)[:, None, None])
    squared_y = (
        y * (y * (v * v).sum(1)[:, None, None] + 2 * (v * w).sum(1)[:, None, None])
        + ((w * w).sum(1) - 1)[:, None, None]
    )
    c = squared_x + squared_y + (x * y) * (2 * (u * v).sum(1))[:, None, None]
    discriminant = half_b * half_b - a * c
    hit = discriminant > 0
    root = np.sqrt(np.maximum(discriminant, 0.0))
    entry = np.where(hit, (-half_b - root) / a, np.inf)
    exit_ = np.where(hit, (-half_b + root) / a, np.inf)
    return entry, exit_


def box_hits(rays: Rays, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry distance (B, P, P) of the rays into axis-aligned boxes (corners ``low``, ``high`` (B, 3)),
    +inf where a ray misses (or a box is empty, low > high), and the axis (B, P, P) int8 whose face
    it enters by: the slab method, each slab's entry plane chosen per image by the ray's sign."""
    direction = np.where(np.abs(rays.direction) < 1e-9, 1e-9, rays.direction)
    inverse = 1.0 / direction
    near_bound = np.where(direction > 0, low, high)
    entry = np.full(rays.image_shape, -np.inf, np.float32)
    exit_ = np.full(rays.image_shape, np.inf, np.float32)
    axis = np.zeros(rays.image_shape, np.int8)
    for k in range(3):
        near = rays.separable(
            -rays.u[:, k] * inverse[:, k],
            -rays.v[:, k] * inverse[:, k],
            (near_bound[:, k] - rays.w[:, k]) * inverse[:, k],
        )
        far = near + ((high[:, k] - low[:, k]) * np.abs(inverse[:, k]))[:, None, None]
        np.copyto(axis, k, where=near > entry)
        np.maximum(entry, near, out=entry)
        np.minimum(exit_, far, out=exit_)
    return np.where(entry < exit_, entry, np.inf), axis


def box_downsample(images: np.ndarray, factor: int) -> np.ndarray:
    """Images (..., H, W) averaged over factor x factor blocks: (..., H / factor, W / factor)."""
    if factor == 1:
        return images
    *lead, height, width = images.shape
    blocks = images.reshape(*lead, height // factor, factor, width // factor, factor)
    return blocks.mean(axis=(-3, -1))


def to_uint8(intensity: np.ndarray) -> np.ndarray:
    """Intensities in [0, 1] (any shape) -> uint8 0..255, rounded."""
    return np.rint(np.clip(intensity, 0.0, 1.0) * 255).astype(np.uint8)


def unit(vectors: np.ndarray) -> np.ndarray:
    """Vectors (..., 3) scaled to length 1."""
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
