"""Loopback ports for the servers a test starts.

Asking the kernel for port 0 and closing the socket hands out a port from the
ephemeral range (32768-60999 on Linux), the same range every outgoing
connection draws from; between that check and the server's bind another
connection or the other pytest-xdist worker could take it ("address already in
use", seen in CI). So ports come from below the ephemeral range instead, each
xdist worker from its own slice, never the same one twice in a process, and
each checked free before it is handed out.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading

_LOW, _HIGH = 20000, 32000  # below the kernel's ephemeral range
_WORKERS = 8  # xdist workers with a slice of their own
_SLICE = (_HIGH - _LOW) // _WORKERS


def _slice_start() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # "gw0", "gw1", …
    digits = worker.removeprefix("gw")
    index = int(digits) % _WORKERS if digits.isdigit() else 0
    return _LOW + index * _SLICE


_start = _slice_start()
_issued = itertools.count(os.getpid())  # a rerun in the same slice starts elsewhere
_lock = threading.Lock()


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now and that no other test here gets."""
    with _lock:
        for _ in range(_SLICE):
            port = _start + next(_issued) % _SLICE
            if _is_free(port):
                return port
    raise RuntimeError("no free loopback port left in this worker's slice")
