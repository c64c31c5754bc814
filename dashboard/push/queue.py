"""The web process's end of the Socket.IO Redis message queue, resubscribing as soon as Redis is back.

python-socketio's ``RedisManager`` waits 1, 2, 4, 8 … s between attempts to listen again after Redis went away, so
positions reached the screens 9–10 s after a 20 s outage. :class:`PromptRedisManager` tries again after 50 ms,
doubling up to ``retry_cap_s`` (``GRIDPULSE_REDIS_RETRY_CAP_S``, 0.25 s: one refused connection each time costs
nothing), and once subscribed again calls ``on_resubscribe``: the web process then sends every room a fresh
``snapshot``, read after the subscription, so a dot that moved while nobody was listening (a processor that is back
first publishes to nobody in that gap) is right on the screens all the same.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import socketio
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
FIRST_RETRY_S = 0.05


class PromptRedisManager(socketio.RedisManager):
    """A ``RedisManager`` (pass it to Flask-SocketIO as ``client_manager``) with a short, capped listen backoff."""

    def __init__(self, url: str, channel: str, *, on_resubscribe: Callable[[], None] | None = None,
                 retry_cap_s: float = 0.25, connect_timeout_s: float = 2.0, **kwargs):
        # redis-py's own retries (with a backoff of seconds in redis-py 6) would hide behind ours: none here
        options = {"retry": Retry(NoBackoff(), 0), "socket_connect_timeout": connect_timeout_s,
                   **kwargs.pop("redis_options", {})}
        super().__init__(url, channel=channel, redis_options=options, **kwargs)
        self.on_resubscribe, self.retry_cap_s = on_resubscribe, retry_cap_s

    def _redis_listen_with_retries(self):
        retry_s, subscribed, lost = FIRST_RETRY_S, False, False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed, retry_s = True, FIRST_RETRY_S
                    if lost:
                        lost = False
                        log.warning("Socket.IO queue: listening on %s again", self.channel)
                        self._resubscribed()
                yield from self.pubsub.listen()
            except Exception as exc:  # noqa: BLE001 - any failure to listen: connect again (what RedisManager does)
                if not lost:
                    log.warning("Socket.IO queue: cannot listen on %s (%s); retrying every ≤ %.1f s",
                                self.channel, exc, self.retry_cap_s)
                subscribed, lost = False, True
                time.sleep(retry_s)  # gevent-patched under `gridpulse serve`
                retry_s = min(retry_s * 2, self.retry_cap_s)

    def _resubscribed(self) -> None:
        if self.on_resubscribe is None:
            return
        try:
            self.on_resubscribe()
        except Exception:  # noqa: BLE001 - the listener must go on
            log.exception("Socket.IO queue: resubscribe hook failed")
