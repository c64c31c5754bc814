"""Image structure checks: real samples pass; magic bytes followed by something else do not."""

from __future__ import annotations

import struct

import pytest

from tests.tickets.conftest import JPEG, PNG, WEBP
from tickets.policy import tiny_png
from tickets.store.imagefile import kind


def box(kind_: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind_) + payload


HEIC = box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic") + box(b"meta", bytes(24)) + box(b"mdat", bytes(40))


@pytest.mark.parametrize(("data", "expected"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp"),
                                                (HEIC, "image/heic"), (tiny_png(), "image/png"),
                                                (JPEG + b"\x00\x00\x00\x18ftypmp42 motion photo", "image/jpeg")])
def test_well_formed_images_pass(data, expected):
    assert kind(data)[0] == expected


@pytest.mark.parametrize(
    "data",
    [
        b"", b"\xff\xd8", b"\xff\xd8\xff\xe0<html></html>" + bytes(200),
        JPEG.replace(b"\xff\xd9", b"\x00\x00"),  # no end of image
        JPEG[:2] + JPEG[JPEG.index(b"\xff\xda"):],  # a scan with no frame header before it
        PNG[:20] + bytes([PNG[20] ^ 0xFF]) + PNG[21:],  # a chunk whose CRC no longer matches
        PNG[:8] + PNG[PNG.index(b"IDAT") - 4:],  # IHDR missing
        WEBP[:-1],  # RIFF size larger than the file
        HEIC[:-4],  # the last box runs past the end
        box(b"ftyp", b"heic\x00\x00\x00\x00") + box(b"mdat", bytes(8)),  # no meta box
        b"GIF89a" + bytes(40),
    ],
)
def test_damaged_or_disguised_files_fail(data):
    assert kind(data) is None
