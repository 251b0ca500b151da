"""``svhn-like``: a central house-number digit between cut-off neighbours, 32x32 RGB.

A stand-in, with known factors, for SVHN's cropped digits (Netzer et al., 2011), on which
InfoGAN (Chen et al., 2016, Figure 5) separated the central digit from the background. The
digits are glyphs of fonts that matplotlib ships (``FONTS``), laid out as a line of house
numbers (a neighbour on each side, a small gap from the centre digit, so that only its
inner part shows at the image's edge), scaled and rotated about the central digit with Pillow at twice
the size and box-filtered down, and coloured: a foreground colour over a background colour,
of the two hues and the polarity. The nuisance that no factor names comes from the Generator:
a linear shading of the background (its direction and strength).

Factors: digit (0-9), font, left and right neighbour (0-9, or 10 for none), scale (0.8..1.1
of a digit height of ``DIGIT_HEIGHT`` of the image), rotation (-12..12 deg, + anticlockwise),
background hue and foreground hue (0..360 deg, circular), polarity (light on dark, dark on
light).
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.colors import hsv_to_rgb
from PIL import Image, ImageDraw, ImageFont

from infogan.data.rendered import raycast
from infogan.data.rendered.base import Factor, RenderedSet, register
from infogan.errors import DataError

FONTS = {  # name: file in matplotlib's fonts/ttf
    "DejaVu Sans": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
    "DejaVu Sans Oblique": "DejaVuSans-Oblique.ttf",
    "DejaVu Serif": "DejaVuSerif.ttf",
    "DejaVu Serif Bold": "DejaVuSerif-Bold.ttf",
    "DejaVu Serif Italic": "DejaVuSerif-Italic.ttf",
    "DejaVu Sans Mono": "DejaVuSansMono.ttf",
    "DejaVu Sans Mono Bold": "DejaVuSansMono-Bold.ttf",
    "STIX General": "STIXGeneral.ttf",
    "STIX General Bold": "STIXGeneralBol.ttf",
}
NO_DIGIT = 10  # a neighbour's value for "no neighbour"
POLARITIES = ("light on dark", "dark on light")
GLYPH_PIXELS = 64  # the size at which glyphs are drawn before they are scaled into the image
WORK_SIZE = 64  # the image is composed at this size, then box-filtered to 32
DIGIT_HEIGHT = 0.56  # a digit's height (of the font's "8") as a fraction of the image at scale 1
GAP = 0.18  # the space between the centre digit and a neighbour, in digit heights
MIN_HALF_WIDTH = 0.35  # a narrow centre digit ("1") keeps its neighbours as far as this, in digit heights
# (saturation, value) of the light and the dark colour
LIGHT, DARK = (0.3, 0.92), (0.65, 0.3)
SHADING_MAX = 0.3  # the nuisance: the background's shading, at most +-15% across the image


@functools.cache
def _glyphs(font: str) -> tuple[list[np.ndarray], float, float]:
    """The digits 0-9 of a font as ink arrays uint8 (h, w), cropped to their ink; the
    height of its "8" and its widest digit, in glyph pixels."""
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FONTS[font]
    if not path.is_file():
        raise DataError(f"the font file {path} is missing from matplotlib; reinstall matplotlib")
    typeface = ImageFont.truetype(str(path), GLYPH_PIXELS)
    glyphs = []
    for digit in range(10):
        canvas = Image.new("L", (3 * GLYPH_PIXELS, 3 * GLYPH_PIXELS))
        ImageDraw.Draw(canvas).text((GLYPH_PIXELS, GLYPH_PIXELS), str(digit), fill=255, font=typeface)
        ink = np.asarray(canvas)
        rows, columns = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
        glyphs.append(ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1])
    return glyphs, float(glyphs[8].shape[0]), float(max(glyph.shape[1] for glyph in glyphs))


def _line(font: str, digits: tuple[int, int, int]) -> tuple[np.ndarray, tuple[float, float]]:
    """Ink uint8 (h, w) of the line left, centre, right (a neighbour NO_DIGIT is left out), standing on
    one baseline, the neighbours a gap of ``GAP`` digit heights from the centre digit (taken at least
    ``MIN_HALF_WIDTH`` heights wide); and the centre digit's centre (x, y) in the line's pixels."""
    glyphs, height, widest = _glyphs(font)
    tallest = max(glyph.shape[0] for glyph in glyphs)
    half_width = int(np.ceil(1.5 * widest + GAP * height)) + 1
    line = np.zeros((tallest, 2 * half_width), np.uint8)
    centre_glyph = glyphs[digits[1]]
    reach = max(centre_glyph.shape[1] / 2, MIN_HALF_WIDTH * height) + GAP * height  # centre to a neighbour's edge
    for cell, digit in enumerate(digits):
        if digit == NO_DIGIT:
            continue
        glyph = glyphs[digit]
        glyph_width = glyph.shape[1]
        left = (half_width - glyph_width / 2, half_width - reach - glyph_width, half_width + reach)[(1, 0, 2)[cell]]
        left = int(round(left))
        line[tallest - glyph.shape[0] :, left : left + glyph_width] = glyph
    return line, (float(half_width), tallest - height / 2)


def _ink(font: str, digits: tuple[int, int, int], scale: float, rotation_deg: float) -> np.ndarray:
    """The digits' coverage uint8 (32, 32): the line scaled so that an "8" is ``scale * DIGIT_HEIGHT``
    of the image high, rotated about the centre digit's cell, drawn at WORK_SIZE and box-filtered."""
    line, (centre_x, centre_y) = _line(font, digits)
    line_pixels_per_image_pixel = _glyphs(font)[1] / (scale * DIGIT_HEIGHT * WORK_SIZE)
    angle = np.radians(rotation_deg)
    cos, sin = np.cos(angle) * line_pixels_per_image_pixel, np.sin(angle) * line_pixels_per_image_pixel
    half = WORK_SIZE / 2
    # output (x, y) -> line (a x + b y + c, d x + e y + f): undo the rotation (y down) about the centres
    affine = (cos, -sin, centre_x - cos * half + sin * half, sin, cos, centre_y - sin * half - cos * half)
    image = Image.fromarray(line).transform((WORK_SIZE, WORK_SIZE), Image.Transform.AFFINE, affine, Image.BILINEAR)
    return np.asarray(image.reduce(WORK_SIZE // 32))


def _colours(background_hue, foreground_hue, polarity) -> tuple[np.ndarray, np.ndarray]:
    """Background and foreground RGB (N, 3) in [0, 1] of hues (deg) and polarity indices (N,)."""
    light_on_dark = (np.asarray(polarity) == 0)[:, None]
    background_sv, foreground_sv = np.where(light_on_dark, DARK, LIGHT), np.where(light_on_dark, LIGHT, DARK)

    def rgb(hue: np.ndarray, saturation_value: np.ndarray) -> np.ndarray:
        return hsv_to_rgb(np.concatenate([(np.asarray(hue)[:, None] % 360) / 360, saturation_value], 1))

    return rgb(background_hue, background_sv), rgb(foreground_hue, foreground_sv)


def render_svhn_like(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Images float32 (N, 3, 32, 32) in [0, 1] of factor values (N, 9) (``SvhnLike.factors``)."""
    names = list(FONTS)
    ink = np.stack(
        [
            _ink(names[int(font)], (int(left), int(digit), int(right)), scale, rotation)
            for digit, font, left, right, scale, rotation in values[:, :6]
        ]
    )
    coverage = ink[:, None].astype(np.float32) / 255  # (N, 1, 32, 32)
    background, foreground = _colours(values[:, 6], values[:, 7], values[:, 8])
    count = len(values)
    screen = raycast.screen_coordinates(32, 1.0)
    direction = rng.uniform(0, 2 * np.pi, count)
    strength = rng.uniform(0, SHADING_MAX, count)
    ramp = (
        np.cos(direction)[:, None, None] * screen[None, None, :]
        + np.sin(direction)[:, None, None] * screen[None, :, None]
    )
    shading = 1 + strength[:, None, None] * ramp / 2  # (N, 32, 32)
    background = background.astype(np.float32)[:, :, None, None] * shading[:, None].astype(np.float32)
    image = background + (foreground.astype(np.float32)[:, :, None, None] - background) * coverage
    return image


@register("svhn-like")
class SvhnLike(RenderedSet):
    """House-number digits, 32x32 RGB: digit, font, neighbours, scale, rotation, colours (see the module)."""

    name = "svhn-like"
    image_channels = 3
    image_size = 32
    factors = (
        Factor("digit", "categorical", 10, names=tuple(str(digit) for digit in range(10))),
        Factor("font", "categorical", len(FONTS), names=tuple(FONTS)),
        Factor("left", "categorical", 11, names=(*map(str, range(10)), "none")),
        Factor("right", "categorical", 11, names=(*map(str, range(10)), "none")),
        Factor("scale", "ordinal", 16, 0.8, 1.1),
        Factor("rotation", "ordinal", 25, -12.0, 12.0, unit="deg"),
        Factor("background hue", "circular", 24, 0.0, 360.0, unit="deg", endpoint=False),
        Factor("foreground hue", "circular", 24, 0.0, 360.0, unit="deg", endpoint=False),
        Factor("polarity", "categorical", 2, names=POLARITIES),
    )
    train_size = 60_000
    label_factor = "digit"  # the central digit: c1's accuracy is measured against it
    test_size = 10_000

    def render(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Images uint8 (N, 3, 32, 32) of values (N, 9) in ``factors`` order."""
        values = np.asarray(values, np.float64)
        if not len(values):
            return np.zeros((0, 3, 32, 32), np.uint8)
        return raycast.to_uint8(render_svhn_like(values, rng))
