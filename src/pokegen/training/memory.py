"""Keep a CPU training step's freed activations in the heap instead of handing them back.

glibc returns a freed block of more than a few megabytes to the kernel (munmap, or trimming the
heap's top), so the next step's activation of that size is fresh memory that faults in page by
page: about two million page faults per benchmark invocation of the default GAN step at batch 64.
Raising the mmap and trim thresholds keeps those blocks for reuse (PyTorch's CPU tuning guide
gets the same effect by preloading jemalloc or tcmalloc). BENCHMARKS.md has the measurement.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit)
TRIM_THRESHOLD = 1 << 30  # keep up to 1 GiB of free heap top before giving it back


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds for this process; False where the C library is not
    glibc (nothing is changed) or refuses a value. Process-wide, like torch.set_num_threads:
    call it when a CPU training run starts, not at import."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): leave the allocator
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
