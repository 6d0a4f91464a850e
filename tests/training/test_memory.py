"""keep_freed_memory: glibc serves activation-sized blocks from its heap, or is left alone."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from pokegen.training import memory
from pokegen.training.memory import keep_freed_memory

glibc = sys.platform.startswith("linux") and ctypes.util.find_library("c") is not None


# Run in a fresh interpreter: in the test process, earlier tests' freed blocks may already have
# raised glibc's dynamic mmap threshold, which would let the check pass without the call.
HEAP_CHECK = """
import ctypes, ctypes.util, sys
from pokegen.training.memory import keep_freed_memory
FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in FIELDS.split(" ")]
libc = ctypes.CDLL(ctypes.util.find_library("c"))
if not hasattr(libc, "mallinfo2"):
    sys.exit(3)  # glibc before 2.33
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def mapped_by_malloc(size):  # bytes glibc mmapped (and would munmap on free) for one block
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(size)
    grew = libc.mallinfo2().hblkhd - before
    libc.free(block)
    return grew
if sys.argv[1] == "keep":
    assert keep_freed_memory()  # glibc accepted both thresholds
print(mapped_by_malloc(24 << 20))  # 24 MiB: an activation of the GAN step at batch 64
"""


def mapped_bytes(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", HEAP_CHECK, mode], capture_output=True, text=True)
    if done.returncode == 3:
        pytest.skip("glibc before 2.33 has no mallinfo2")
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@pytest.mark.skipif(not glibc, reason="the thresholds are glibc's")
def test_activation_sized_blocks_come_from_the_heap():
    assert mapped_bytes("default") >= 24 << 20  # glibc's defaults: mmapped, unmapped on free
    assert mapped_bytes("keep") == 0  # served from the heap, kept there when freed


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(memory.ctypes.util, "find_library", lambda name: None)
    assert keep_freed_memory() is False

    class NoMallopt:  # a C library without glibc's mallopt
        def __init__(self, name):
            pass

    monkeypatch.setattr(memory.ctypes.util, "find_library", lambda name: "libc.so")
    monkeypatch.setattr(memory.ctypes, "CDLL", NoMallopt)
    assert keep_freed_memory() is False
