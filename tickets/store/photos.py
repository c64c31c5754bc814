"""Photos: checked by content (the image structure, not the name, declared type or magic bytes alone) and stored
once per content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tickets.domain.errors import TicketError, bad_request
from tickets.store import imagefile


@dataclass(frozen=True)
class Upload:
    """A received file: its name as sent and at most ``max_bytes + 1`` of its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedPhoto:
    content_type: str
    ext: str
    data: bytes
    sha256: str


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a well-formed image (its structure walked, see :mod:`tickets.store.imagefile`)."""
    return imagefile.kind(data)


class PhotoStore:
    """Check and keep photos under ``root/<yyyy>/<sha256>.<ext>``.

    Parameters
    ----------
    root : folder the files go to.
    max_bytes : largest photo accepted (413 above it).
    max_count : most photos on one request.
    """

    def __init__(self, root: str | Path, max_bytes: int = 5 * 1024 * 1024, max_count: int = 6):
        self.root, self.max_bytes, self.max_count = Path(root), max_bytes, max_count

    def check(self, uploads: list[Upload]) -> list[CheckedPhoto]:
        """Validate every upload before anything is written; raise on the first bad one."""
        if len(uploads) > self.max_count:
            raise bad_request("too_many_photos", f"at most {self.max_count} photos per request, got {len(uploads)}.")
        out = []
        for up in uploads:
            if len(up.data) > self.max_bytes:
                raise TicketError(413, "photo_too_large",
                                  f"photo {up.filename!r} is larger than {self.max_bytes // 1024} KiB.")
            if not up.data:
                raise bad_request("empty_photo", f"photo {up.filename!r} is empty.")
            kind = sniff(up.data)
            if kind is None:
                raise TicketError(415, "unsupported_photo_type",
                                  f"photo {up.filename!r} is not a well-formed JPEG, PNG, WebP or HEIC image.")
            out.append(CheckedPhoto(kind[0], kind[1], up.data, hashlib.sha256(up.data).hexdigest()))
        return out

    def save(self, photo: CheckedPhoto, now: datetime | None = None) -> str:
        """Write the file (idempotent: same content, same name) and return its path relative to ``root``."""
        year = (now or datetime.now(UTC)).strftime("%Y")
        rel = f"{year}/{photo.sha256}.{photo.ext}"
        path = self.root / rel
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(photo.data)
            tmp.replace(path)  # a reader never sees half a photo
        return rel

    def path(self, rel: str) -> Path:
        return self.root / rel
