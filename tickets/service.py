"""The ticket loop's use cases: report a ticket, take an action, raise supervision notices.

Each use case validates everything first (input, photos, permission, version), then writes the
ticket, its transition, its photos and its outbox event in one SQL transaction. A refusal raises
:class:`TicketError` before anything is written, so bad input changes nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tickets import visibility
from tickets.domain import effects
from tickets.domain.actors import SYSTEM, Actor
from tickets.domain.calendar import WorkCalendar
from tickets.domain.catalog import Catalog, load_catalog
from tickets.domain.deadlines import Deadlines
from tickets.domain.errors import TicketError, bad_request, conflict, not_found
from tickets.domain.limits import TimeLimits
from tickets.domain.machine import NEEDS_DEPARTMENT, NEEDS_NOTE, NEEDS_PHOTO, allowed_actions, decide
from tickets.domain.states import FINAL_STATES, OPEN_STATES, Source, State, Tier
from tickets.settings import TicketSettings, load_settings
from tickets.store.models import tickets
from tickets.store.photos import PhotoStore, Upload
from tickets.store.sql import SqlTicketStore, StaleError

# control characters no ticket text may hold (NUL, escape, DEL, the C1 range …); a description or note keeps tab and
# line breaks, a one-line field (address, name) keeps none. Refused at the door: stored text breaks XML and exports.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_ONE_LINE_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")


@dataclass
class NewTicket:
    """What a report carries (the API and Open311 layers parse into this)."""

    category: str
    lon: float | None  # both None: an unlocated report (Open311 address only), placed by the district center
    lat: float | None
    description: str = ""
    source: str | None = None
    address: str | None = None
    contact: str | None = None  # JSON text
    media_url: str | None = None
    reporter_name: str | None = None  # a public reporter (Open311) instead of the actor
    reporter_role: str | None = None
    photos: list[Upload] = field(default_factory=list)
    public: bool | None = None  # shown on Open311's public reads; None: a resident's report is, anything else not
    attributes: str | None = None  # Open311 attribute[…] as JSON text


class TicketService:
    """The closed loop over a :class:`SqlTicketStore` for one district.

    Parameters
    ----------
    store : the SQL store.
    district : a :class:`geo.district.District` (its locator places tickets; its roster scopes workers).
    settings : package settings (defaults from :func:`load_settings`).
    clock : ``() -> aware datetime``; injected so tests and the simulator control time.
    """

    def __init__(self, store: SqlTicketStore, district, settings: TicketSettings | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.store, self.district = store, district
        self.settings = settings or load_settings()
        self.catalog: Catalog = load_catalog(self.settings.data_dir)
        self.calendar = WorkCalendar.from_file(self.settings.data_dir / "holidays.txt",
                                               tz=self.settings.timezone, periods=self.settings.work_periods)
        limits = TimeLimits.from_csv(self.settings.data_dir / "time_limits.csv", self.calendar.day_s)
        self.deadlines = Deadlines(self.calendar, limits, self.settings.yellow_ratio)
        self.photos = PhotoStore(self.settings.photo_dir, self.settings.max_photo_bytes, self.settings.max_photos)
        self.clock = clock or (lambda: datetime.now(UTC))
        g = district.grids
        # grids[code] = (community_code, street_code); roster[worker_id] = home grid code
        self.grids = dict(zip(g["code"], zip(g["community_code"], g["street_code"], strict=True), strict=True))
        w = district.workers
        self.roster = dict(zip(w["worker_id"], w["home_grid"], strict=True)) if len(w) else {}
        self.grid_worker = {grid: wid for wid, grid in self.roster.items()}

    def worker_grid(self, worker_id: str) -> str | None:
        return self.roster.get(worker_id)

    # -- reads -----------------------------------------------------------------------------
    def get(self, ref: int | str) -> dict:
        """A ticket by id or number; 404 if unknown."""
        row = None
        if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit() and len(str(ref)) < 15):  # ids; numbers are 21 digits
            row = self.store.get(int(ref))
        if row is None:
            row = self.store.get_by_number(str(ref))
        if row is None:
            raise not_found("unknown_ticket", f"there is no ticket {ref}.")
        return row

    def get_for(self, ref: int | str, actor: Actor) -> dict:
        """A ticket ``actor`` may see (:mod:`tickets.visibility`); 404 for one outside its view, as for an unknown one."""
        row = self.get(ref)
        if not visibility.sees(actor, row, self.worker_grid):
            raise not_found("unknown_ticket", f"there is no ticket {ref} in your view.")
        return row

    def allowed(self, ticket: dict, actor: Actor) -> list[str]:
        return allowed_actions(ticket, actor, self.worker_grid)

    # -- report ----------------------------------------------------------------------------
    def create(self, new: NewTicket, actor: Actor, now: datetime | None = None) -> dict:
        """Report a ticket at the community tier (an unlocated one at the district tier).

        400 for bad input, 403 outside the actor's reporting area (:mod:`tickets.visibility`), 413/415 for bad photos.
        """
        now = now or self.clock()
        if new.category not in self.catalog.categories:
            raise bad_request("unknown_category", f"category {new.category!r} is not in the category table.")
        if not isinstance(new.description or "", str) or not isinstance(new.address or "", str):
            raise bad_request("bad_text", "description and address must be text.")
        check_text("description", new.description)
        for name in ("address", "reporter_name"):
            check_text(name, getattr(new, name), one_line=True)
        if len(new.address or "") > 255:
            raise bad_request("address_too_long", "the address is longer than 255 characters.")
        if len(new.description or "") > self.settings.max_description_chars:
            raise bad_request("description_too_long",
                              f"the description is longer than {self.settings.max_description_chars} characters.")
        source = new.source or (Source.WORKER_PATROL if actor.role == "worker" else Source.HOTLINE_12345)
        if not isinstance(source, str) or source not in set(Source):
            raise bad_request("unknown_source", f"source must be one of {', '.join(Source)}, got {source!r}.")
        if actor.role == "department":
            raise conflict("wrong_role", "departments handle tickets; they do not report them.")
        if new.lon is None and new.lat is None:
            place = self._unlocated(new)
        else:
            place = self._place(*_coordinates(new.lon, new.lat))
            visibility.check_report(actor, place["street_code"], self.worker_grid, self.grids)
        checked = self.photos.check(new.photos)
        category = self.catalog.categories[new.category]
        row = {
            "category_code": category.code, "major_code": category.major_code, "source": str(source),
            "description": new.description or "", "address": new.address, **place,
            "state": State.REPORTED.value, "version": 1, "reporter_name": new.reporter_name or actor.name,
            "reporter_role": new.reporter_role or actor.role,
            "reporter_worker_id": actor.worker_id, "contact": new.contact, "media_url": new.media_url,
            "public": new.public if new.public is not None else source == Source.RESIDENT_APP,
            "attributes": new.attributes, "reported_at": now, "updated_at": now,
            **self.deadlines.start_step(category.code, State.REPORTED, now),
        }
        paths = [self.photos.save(p, now) for p in checked]
        prefix = f"{self.district.admin_code}{now.astimezone(self.calendar.tz):%Y%m%d}"
        with self.store.transaction() as conn:
            tid = self.store.insert_ticket(conn, row, prefix)
            trow = effects.report_row(tid, row, now)
            transition_id = self.store.add_transition(conn, trow)
            self.store.add_photos(conn, effects.photo_rows(tid, transition_id, checked, paths, now))
            ticket = self.store.get(tid, conn)
            self.store.add_event(conn, effects.event(ticket, "report", None), now)
        return ticket

    def _place(self, lon: float, lat: float) -> dict:
        """Where a located report goes: its grid, community and street, at the community tier."""
        grid = self.district.locator.locate_one(lon, lat)
        if grid is None:
            raise bad_request("outside_district", f"the point ({lon}, {lat}) is outside {self.district.name}.")
        community_code, street_code = self.grids[grid]
        return {"lon": lon, "lat": lat, "grid_code": grid, "community_code": community_code,
                "street_code": street_code, "grid_worker_id": self.grid_worker.get(grid),
                "tier": Tier.COMMUNITY.value}

    def _unlocated(self, new: NewTicket) -> dict:
        """An address-only report (GeoReport v2 allows it): no point, no grid; it starts at the district tier,
        where the district center reads the address and acts on it, as a 12345 hotline center does."""
        if not (new.address or "").strip():
            raise bad_request("missing_location", "a report needs a point (lon, lat) or at least an address.")
        return {"lon": None, "lat": None, "grid_code": None, "community_code": None, "street_code": None,
                "grid_worker_id": None, "tier": Tier.DISTRICT.value}

    def grid_point(self, grid_code: str) -> tuple[float, float] | None:
        """A point inside grid ``grid_code`` (its representative point), or None for an unknown code."""
        g = self.district.grids
        rows = g[g["code"] == grid_code]
        if rows.empty:
            return None
        p = rows.geometry.iloc[0].representative_point()
        return float(p.x), float(p.y)

    # -- act -------------------------------------------------------------------------------
    def act(self, ref: int | str, action: str, actor: Actor, *, note: str | None = None,
            department: str | None = None, expected_state: str | None = None, version: int | None = None,
            photos: list[Upload] | None = None, extension_hours: float | None = None,
            now: datetime | None = None) -> dict:
        """Take ``action`` on a ticket; returns the updated ticket.

        Raises
        ------
        TicketError
            404 unknown ticket, 409 stale / not allowed (with the reason), 400/413/415 bad input.
        """
        now = now or self.clock()
        ticket = self.get(ref)
        if version is not None and int(version) != ticket["version"]:
            raise conflict("stale", f"the ticket is at version {ticket['version']}, not {version}: reload it.")
        if expected_state is not None and expected_state != ticket["state"]:
            raise conflict("stale", f"the ticket is {ticket['state']}, not {expected_state}: reload it.")
        decision = decide(ticket, action, actor, self.worker_grid)
        check_text("note", note)
        note = (note or "").strip() or None
        if action in NEEDS_NOTE and not note:
            raise bad_request("note_required", f"'{action}' needs a note giving the reason.")
        if note and len(note) > self.settings.max_description_chars:
            raise bad_request("note_too_long", f"the note is longer than {self.settings.max_description_chars} characters.")
        if action in NEEDS_DEPARTMENT:
            self._check_department(ticket, department, decision.to_tier)
        extra_s = self._extension_s(ticket, extension_hours) if action == "extend" else 0.0
        checked = self.photos.check(photos or [])
        if action in NEEDS_PHOTO and not checked:
            raise bad_request("photo_required", f"'{action}' needs at least one photo.")
        values = effects.apply(self.deadlines, ticket, decision, now, department=department, extra_s=extra_s)
        paths = [self.photos.save(p, now) for p in checked]
        try:
            with self.store.transaction() as conn:
                self.store.update_ticket(conn, ticket["id"], ticket["version"], values)
                trow = effects.transition_row(ticket, decision, actor, now, note, department)
                transition_id = self.store.add_transition(conn, trow)
                self.store.add_photos(conn, effects.photo_rows(ticket["id"], transition_id, checked, paths, now))
                updated = self.store.get(ticket["id"], conn)
                self.store.add_event(conn, effects.event(updated, action, ticket["state"]), now)
        except StaleError:
            raise conflict("stale", "the ticket was changed by someone else meanwhile: reload it.") from None
        return updated

    def _check_department(self, ticket: dict, code: str | None, tier: Tier) -> None:
        if not code:
            raise bad_request("department_required", "'dispatch' needs the department to dispatch to.")
        dep = self.catalog.departments.get(code)
        if dep is None:
            raise bad_request("unknown_department", f"there is no department {code!r}; see /api/v1/departments.")
        if dep.tier != tier:
            raise bad_request("department_tier",
                              f"{dep.name} works at the {dep.tier} tier; this ticket is at the {tier} tier.")

    def _extension_s(self, ticket: dict, hours: float | None) -> float:
        if hours is None:
            return self.deadlines.limits.limit_s(ticket["category_code"], "handle")
        if not isinstance(hours, int | float) or not math.isfinite(hours) or not 0 < hours <= 2000:
            raise bad_request("bad_extension", "extension_hours must be a number of working hours in (0, 2000].")
        return float(hours) * 3600.0

    # -- supervision -----------------------------------------------------------------------
    def sweep(self, now: datetime | None = None, limit: int = 1000) -> int:
        """Raise the traffic light's notices: 督办 when a step turns yellow, 超期 when it turns red."""
        now = now or self.clock()
        c = tickets.c
        open_ = c.state.in_([s.value for s in OPEN_STATES if s is not State.SUSPENDED])
        found = 0
        for flag, action, cond in (("supervised", "supervise", c.step_warn_at <= now),
                                   ("overdue_noticed", "overdue", c.step_due_at < now)):
            rows, _ = self.store.list([open_, cond, c[flag].is_(False)], limit=limit, order=[c.id])
            for t in rows:
                with self.store.transaction() as conn:
                    if not self.store.set_flags(conn, t["id"], {flag: True}, {flag: False, "version": t["version"]}):
                        continue  # moved on meanwhile; the next sweep looks again
                    self.store.add_transition(conn, effects.notice_row(t, action, SYSTEM, now))
                    self.store.add_event(conn, effects.event(t, action, t["state"], now), now)
                    found += 1
        return found


def check_text(name: str, value: str | None, *, one_line: bool = False) -> None:
    """Refuse (400 ``bad_text``) text holding control characters; ``one_line`` refuses tabs and line breaks too."""
    if isinstance(value, str) and (found := (_ONE_LINE_CONTROL if one_line else _CONTROL).search(value)):
        raise bad_request("bad_text", f"{name} holds the control character U+{ord(found.group()):04X}; "
                                      f"send plain text{'' if one_line else ' (tabs and line breaks are fine)'}.")


def _coordinates(lon, lat) -> tuple[float, float]:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise bad_request("bad_coordinates", "lon and lat must be numbers (WGS-84 degrees).") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise bad_request("bad_coordinates", f"({lon}, {lat}) is not a WGS-84 longitude/latitude.")
    return lon, lat


__all__ = ["NewTicket", "TicketService", "TicketError", "FINAL_STATES"]
