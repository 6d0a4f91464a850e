"""keep_freed_memory: glibc serves activation-sized blocks from its heap, or is left alone."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from pokegen.training import memory
from pokegen.training.memory import keep_freed_memory

glibc = sys.platform.startswith("linux") and ctypes.util.find_library("c") is not None


FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in FIELDS.split(" ")]


@pytest.mark.skipif(not glibc, reason="the thresholds are glibc's")
def test_activation_sized_blocks_come_from_the_heap():
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc before 2.33 has no mallinfo2")
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    assert keep_freed_memory()  # glibc accepted both thresholds
    mapped = libc.mallinfo2().hblkhd  # bytes in blocks glibc mmapped (and munmaps on free)
    block = libc.malloc(24 << 20)  # 24 MiB: mmapped under glibc's default thresholds
    try:
        assert libc.mallinfo2().hblkhd == mapped  # served from the heap, kept there when freed
    finally:
        libc.free(block)


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(memory.ctypes.util, "find_library", lambda name: None)
    assert keep_freed_memory() is False

    class NoMallopt:  # a C library without glibc's mallopt
        def __init__(self, name):
            pass

    monkeypatch.setattr(memory.ctypes.util, "find_library", lambda name: "libc.so")
    monkeypatch.setattr(memory.ctypes, "CDLL", NoMallopt)
    assert keep_freed_memory() is False
