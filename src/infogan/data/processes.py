"""One process per core for the data readers' batch work (decoding a folder, rendering a grid)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


@contextmanager
def process_map(workers: int) -> Iterator[Callable]:
    """A ``map`` over ``workers`` processes (results in input order), or the builtin ``map`` for
    one worker; leaving the block cancels whatever has not started (an error, Ctrl-C)."""
    if workers <= 1:
        yield map
        return
    executor = ProcessPoolExecutor(workers)
    try:
        yield executor.map
    finally:
        executor.shutdown(cancel_futures=True)
