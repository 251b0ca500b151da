"""Fuzzing the parsers of user input: no text or bytes make them raise anything but InfoganError.

The spec parsers get arbitrary text and text built from the spec grammar's own tokens (so
that most examples get past the first check); the IDX parser gets arbitrary bytes, bytes
behind a valid-looking header, and gzip streams of both read from a file. Hypothesis runs
derandomized with a fixed number of examples, so every run of the suite tries the same inputs.
"""

import contextlib
import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infogan.data.idx import parse_idx, read_idx_file
from infogan.errors import InfoganError
from infogan.latent_parsing import parse_codes, parse_noise

EXAMPLES = 500
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Pieces of the spec grammar, numbers a parser might mishandle, and Unicode digits that
# str.isdigit() accepts but int() does not ("²") or does ("٣").
TOKENS = [
    "cat",
    "unif",
    "gauss",
    "normal",
    "noise",
    "CAT",
    ":",
    ",",
    "x",
    "=",
    " ",
    "10",
    "2",
    "1",
    "0",
    "-1",
    "62",
    "lambda",
    "low",
    "high",
    "mean",
    "std",
    "qstd",
    "name",
    "dist",
    "learned",
    "uniform",
    "c1",
    "nan",
    "inf",
    "-inf",
    "1e999",
    "1e-400",
    "1_0",
    "0x10",
    "²",
    "٣",
    "½",
    "9" * 5000,
    "\x00",
    "é",
]
spec_like_text = st.lists(st.sampled_from(TOKENS), max_size=20).map("".join)
any_text = st.one_of(st.text(max_size=80), spec_like_text)


@pytest.mark.slow
@FUZZ
@given(any_text)
def test_parse_codes_raises_only_infogan_errors(text):
    try:
        codes = parse_codes(text)
    except InfoganError:
        return
    assert len({code.name for code in codes}) == len(codes)  # empty when the text holds only noise items


@FUZZ
@given(any_text)
def test_parse_noise_raises_only_infogan_errors(text):
    try:
        noise = parse_noise(text)
    except InfoganError:
        return
    assert noise.dim < 10**9 and noise.dist in ("uniform", "normal")
    assert parse_noise(f"noise:{noise.dim}:dist={noise.dist}") == noise  # round trip


def _header(dims: list[int], dtype_code: int = 0x08) -> bytes:
    return bytes([0, 0, dtype_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


# A valid-looking header (the right magic, 1-4 sizes, some of them huge) with a body that
# may or may not fit it.
idx_like_bytes = st.builds(
    lambda dims, body: _header(dims) + body,
    st.lists(st.one_of(st.integers(0, 4), st.integers(0, 2**32 - 1)), min_size=1, max_size=4),
    st.binary(max_size=64),
)
any_bytes = st.one_of(st.binary(max_size=200), idx_like_bytes)


@pytest.mark.slow
@FUZZ
@given(any_bytes)
def test_parse_idx_raises_only_data_errors(raw):
    try:
        array = parse_idx(raw)
    except InfoganError:
        return
    assert array.dtype == np.uint8 and array.size == len(raw) - 4 - 4 * array.ndim


@pytest.mark.slow
@FUZZ
@given(any_bytes, st.booleans(), st.integers(0, 40))
def test_read_idx_file_of_gzip_raises_only_data_errors(raw, compress, cut):
    # Raw bytes or their gzip stream, sometimes cut short by ``cut`` bytes (a torn download).
    stored = gzip.compress(raw, mtime=0) if compress else raw
    stored = stored[: len(stored) - cut] if cut else stored
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t10k-labels-idx1-ubyte.gz"
        path.write_bytes(stored)
        with contextlib.suppress(InfoganError):
            read_idx_file(path)
