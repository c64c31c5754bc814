"""The alert log as a list to work through: recent alerts of a street with who acknowledged them and when.

Alerts live in the ``{p}:alerts`` stream (field ``a``: the contract's alert JSON, written by the pipeline and the
sweep).  Acknowledgements are kept in ``{p}:alerts:ack`` (hash: :func:`streams.contract.alert_id` → orjson
``{"by", "at", "street"}``, ``at`` in unix s, ``street`` the alert's street), refreshed to expire ``patrol_days`` after the last acknowledgement.

Examples
--------
>>> log = AlertLog(client, settings)  # doctest: +SKIP
>>> log.ack(["outside_grid:W1:1700000000.000"], by="街道 120110001", street="120110001")  # doctest: +SKIP
"""

from __future__ import annotations

import time

import orjson

from streams.contract import alert_id

SCAN_MAX = 5_000  # newest stream entries looked at per read (the stream keeps alerts_maxlen)


class AlertLog:
    def __init__(self, client, settings):
        self.client, self.settings = client, settings
        self.stream, self.ack_key = settings.key("alerts"), settings.key("alerts", "ack")

    def recent(self, street_code: str | None, since_ts: float = 0.0, limit: int = 200) -> list[dict]:
        """Newest first: ``{id, kind, w, name, grid, street, ts, message, ack: {by, at} | None}``."""
        out = []
        for _sid, fields in self.client.xrevrange(self.stream, count=SCAN_MAX):
            try:
                alert = orjson.loads(fields[b"a"])
            except (KeyError, orjson.JSONDecodeError):
                continue
            if float(alert.get("ts") or 0) < since_ts:
                break  # the stream is in arrival order, close enough to alert time order for a day's list
            if street_code and alert.get("street") != street_code:
                continue
            out.append({"id": alert_id(alert), **alert})
            if len(out) >= limit:
                break
        acks = self.acks([a["id"] for a in out])
        for a in out:
            a["ack"] = acks.get(a["id"])
        return out

    def acks(self, ids: list[str], street_code: str | None = None) -> dict[str, dict]:
        """``{id: {by, at, street}}`` of the acknowledged ones among ``ids``; with ``street_code``, only those of
        that street's alerts (an acknowledgement stored without its street is shown to the district only)."""
        if not ids:
            return {}
        raws = self.client.hmget(self.ack_key, ids)
        found = {i: orjson.loads(r) for i, r in zip(ids, raws, strict=True) if r}
        if street_code is None:
            return found
        return {i: a for i, a in found.items() if a.get("street") == street_code}

    def ack(self, ids: list[str], *, by: str, street_code: str | None, now: float | None = None) -> list[str]:
        """Acknowledge the alerts among ``ids`` that belong to ``street_code`` (``None``: any); returns those
        acknowledged now (an alert acknowledged before keeps its first acknowledgement)."""
        known = {a["id"]: a for a in self.recent(street_code, limit=SCAN_MAX)}
        wanted = [i for i in dict.fromkeys(ids) if i in known and known[i]["ack"] is None]
        if not wanted:
            return []
        at = round(time.time() if now is None else now, 3)
        pipe = self.client.pipeline(transaction=False)
        for i in wanted:
            pipe.hsetnx(self.ack_key, i, orjson.dumps({"by": by, "at": at, "street": known[i].get("street")}))
        pipe.expire(self.ack_key, int((self.settings.patrol_days + 1) * 86400))
        done = pipe.execute()[:-1]
        return [i for i, ok in zip(wanted, done, strict=True) if ok]
