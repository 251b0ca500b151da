"""What the explorer page asks of a trained run: generate, traverse, encode, in milliseconds.

Everything goes through the library's one inference path (``LoadedRun.sample``,
``viz.traversal_grid``, ``LoadedRun.encode``), so an image here is byte for byte the image
``infogan sample`` writes for the same seed and codes. Bad input raises ``InfoganError``.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from infogan.data.folder import decode_image
from infogan.errors import InfoganError
from infogan.export import load_exported
from infogan.loaded_run import load_run
from infogan.networks import architecture_of
from infogan.report import check_evaluation
from infogan.run_folder import EVALUATION_FILE
from infogan.sampling import check_seed
from infogan.viz import png_bytes, sample_grid, traversal_grid

MAX_UPLOAD_BYTES = 5 * 2**20
MAX_UPLOAD_PIXELS = 4096 * 4096  # Pillow refuses larger images (decompression bombs)
GRID_COLUMNS = 10


class ExplorerModel:
    """A run (or an exported generator) loaded once, answering the page's requests one at a time."""

    def __init__(self, source: str | Path, device: str = "cpu"):
        source = Path(source)
        self.exported = source.suffix == ".safetensors"
        self.run = load_exported(source, device) if self.exported else load_run(source, device)
        self.name = source.stem if self.exported else source.name
        self.evaluation = None if self.exported else _read_evaluation(source / EVALUATION_FILE)
        self.lock = threading.Lock()
        Image.MAX_IMAGE_PIXELS = MAX_UPLOAD_PIXELS  # uploads above it are refused, not decoded
        self._test_images: torch.Tensor | None = None

    def info(self) -> dict:
        """The run's name, step, image format and codes, with what evaluation measured of each."""
        arch = architecture_of(self.run.config)
        return {
            "name": self.name,
            "step": self.run.step,
            "architecture": self.run.config.architecture,
            "image": {"channels": arch.image_channels, "size": arch.image_size},
            "encode": not self.exported,
            "codes": [self._code_info(code) for code in self.run.spec.codes],
        }

    def _code_info(self, code) -> dict:
        entry: dict = {"name": code.name, "kind": code.kind}
        if code.is_categorical:
            entry["categories"] = code.categories
        else:
            low, high = (
                (code.low, code.high)
                if code.kind == "uniform"
                else (code.mean - 2 * code.std, code.mean + 2 * code.std)
            )
            entry["prior"] = [low, high]
        measured = ((self.evaluation or {}).get("codes") or {}).get(code.name, {})
        entry["controls"] = _controls_text(measured)
        return entry

    def generate(self, seed: object, codes: object) -> dict:
        """One image for ``seed`` and the fixed ``codes``, as ``infogan sample --n 1`` writes it."""
        started = time.perf_counter()
        with self.lock:
            images = self.run.sample(1, check_seed(seed), _code_values(codes))
            data = png_bytes(sample_grid(images, self.run.output_activation))
        return {"png": base64.b64encode(data).decode(), "ms": 1000 * (time.perf_counter() - started)}

    def grid(self, seed: object, code: object) -> dict:
        """The traversal grid of ``code`` (as ``infogan traverse`` draws it): categories by a sweep."""
        started = time.perf_counter()
        name = None if code in (None, "") else self.run.spec.code(str(code)).name
        if name is not None and self.run.spec.code(name).is_categorical:
            name = None  # a categorical code: its grid is categories by noise draws
        with self.lock:
            array = traversal_grid(
                self.run.generator, self.run.spec, name, GRID_COLUMNS, check_seed(seed), self.run.output_activation
            )
        return {"png": base64.b64encode(png_bytes(array)).decode(), "ms": 1000 * (time.perf_counter() - started)}

    def encode(self, data: bytes) -> dict:
        """Q's posterior per code for one uploaded image (PNG, JPEG, BMP), in the run's format."""
        if self.exported:
            raise InfoganError("an exported generator has no Q: encode needs the run folder")
        if len(data) > MAX_UPLOAD_BYTES:
            raise InfoganError(f"the image is larger than {MAX_UPLOAD_BYTES // 2**20} MB")
        arch = architecture_of(self.run.config)
        try:
            pixels = decode_image(io.BytesIO(data), arch.image_size, arch.image_channels)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            raise InfoganError(f"the upload is not an image infogan can decode ({type(error).__name__})") from None
        return self._posterior(torch.from_numpy(pixels[None]))

    def test_image(self, index: object) -> dict:
        """Test image ``index`` of the run's data (PNG) with Q's posterior for it."""
        if self.exported:
            raise InfoganError("an exported generator has no data set: open the run folder")
        if self._test_images is None:
            from infogan.run_data import load_split

            self._test_images = load_split(self.run.config, "test").images
        count = len(self._test_images)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise InfoganError(f"test image index must be an integer from 0 to {count - 1}")
        image = self._test_images[index : index + 1]
        array = image[0].permute(1, 2, 0).numpy()
        return {"png": base64.b64encode(png_bytes(np.ascontiguousarray(array))).decode(), **self._posterior(image)}

    def _posterior(self, image: torch.Tensor) -> dict:
        """{"codes": {name: {"probabilities": [...]} or {"mean", "std"}}} for one uint8 image (1, C, H, W)."""
        with self.lock:
            posterior = self.run.encode(image)
        result = {}
        for code in self.run.spec.codes:
            values = posterior[code.name][0].tolist()
            result[code.name] = (
                {"probabilities": values} if code.is_categorical else {"mean": values[0], "std": values[1]}
            )
        return {"codes": result}


def _code_values(codes: object) -> dict:
    if not isinstance(codes, dict):
        raise InfoganError('codes must be an object such as {"c1": 3, "c2": 0.5}')
    return codes


def _controls_text(measured: dict) -> str:
    """What evaluation measured of a code, in words: "slant, rho -0.91" or "accuracy 0.955"."""
    if measured.get("controls") not in (None, "none"):
        rho = measured.get(f"{measured['controls']}_rho")
        return f"{measured['controls']}, rho {rho:+.2f}" if isinstance(rho, (int, float)) else measured["controls"]
    if isinstance(measured.get("accuracy"), (int, float)):
        return f"test accuracy {measured['accuracy']:.3f}"
    return ""


def _read_evaluation(path: Path) -> dict | None:
    """The run's saved ``infogan evaluate`` result, if there is a readable one."""
    try:
        return check_evaluation(json.loads(path.read_text()), str(path))
    except (OSError, ValueError, InfoganError):
        return None
