"""Real-time waits for the tests that run processes, threads, servers or a browser.

Such a test waits for something another process or thread does: it polls for the condition with a
deadline (:func:`wait_for`), it never sleeps a fixed time. A condition that holds ends the wait at
once, so a generous deadline costs nothing when the test passes; it only bounds how long a broken
run hangs. Deadlines are written for a quiet 2-core machine and multiplied by
``TEST_TIMEOUT_SCALE`` (default 1, and 3 when ``CI`` is set): on a loaded machine starting a
process, a sweep or a page load takes several times longer, and a test must not fail for that.

Nothing here loosens what a test asserts about the product: timings the product promises are
measured in ``bench/``, not here.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path


def _scale() -> float:
    raw = os.environ.get("TEST_TIMEOUT_SCALE") or ("3" if os.environ.get("CI") else "1")
    value = float(raw)
    if value <= 0:
        raise ValueError(f"TEST_TIMEOUT_SCALE must be positive, not {raw!r}")
    return value


#: How much longer than on a quiet machine a real-time wait may take.
SCALE = _scale()


def patience(seconds: float) -> float:
    """A deadline of ``seconds`` on a quiet machine, scaled for this run."""
    return seconds * SCALE


def wait_for(condition: Callable[[], object], timeout: float, *, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it holds (True) or ``patience(timeout)`` seconds passed (False).

    The condition is asked once more at the deadline, so a slow last poll still counts.
    """
    pause = threading.Event()
    deadline = time.monotonic() + patience(timeout)
    while True:
        if condition():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return bool(condition())
        pause.wait(min(interval, left))


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on, for a server the test starts afterwards.

    The port is outside the kernel's ephemeral range: a port from that range (what ``bind(0)``
    hands out) may be taken, between this check and the server's bind, as the local end of any
    outgoing connection on the machine, and the server would fail to start. A port below the range
    is only ever taken by an explicit bind.
    """
    low, _high = _ephemeral_range()
    first = 20000 if low > 21000 else 1024
    draw = random.SystemRandom()
    for _ in range(200):
        port = draw.randrange(first, low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:  # a crowded machine: fall back to what the kernel hands out
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
