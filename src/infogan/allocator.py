"""Keep freed CPU memory inside the process, so training steps stop faulting pages in.

PyTorch allocates CPU tensors with ``malloc``. glibc serves every block above its mmap
threshold with fresh pages from the kernel and hands them back on ``free``, so a training
step that allocates and frees the same large buffers each time (a gradient of the MNIST
networks' 6272x1024 layers is 25.7 MB) pays a page fault and a zeroed 4 KiB page for every
page of them, every step: 13,000-21,000 minor faults per MNIST step. Raising the mmap and
trim thresholds keeps freed blocks in malloc's heap, where the next step reuses them: 0-250
faults per step, and malloc's defaults take 1.10x as long per step on this project's 2-core
CPU (``python benchmarks/allocator.py``). Where memory comes from changes; nothing computed
does (a run's metrics are bit-identical either way). The cost: blocks freed after an
evaluation stay in the heap, so a run's peak resident memory grows by about 0.2 GB.

Only glibc (Linux) has these settings; elsewhere ``keep_freed_memory`` does nothing and
returns False. Set ``INFOGAN_KEEP_FREED_MEMORY=0`` to leave malloc as it is.
"""

from __future__ import annotations

import ctypes
import os
import platform

try:
    import resource
except ImportError:  # Windows
    resource = None

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 256 * 2**20  # blocks below this come from the heap, not fresh mmaps
TRIM_THRESHOLD_BYTES = 128 * 2**20  # free heap top above this goes back to the kernel
DISABLE_VARIABLE = "INFOGAN_KEEP_FREED_MEMORY"

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; True if they are set.

    Idempotent. False on non-glibc systems, when ``INFOGAN_KEEP_FREED_MEMORY=0``, or when
    glibc refuses a value.
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get(DISABLE_VARIABLE, "1") == "0" or platform.libc_ver()[0] != "glibc":
        return _applied
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return _applied
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _applied


def freed_memory_kept() -> bool:
    """Whether ``keep_freed_memory`` has set the thresholds in this process."""
    return bool(_applied)


def minor_page_faults() -> int:
    """Minor page faults of this process so far (pages the kernel mapped without disk I/O); 0 on Windows."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource is not None else 0
