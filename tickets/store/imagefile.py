"""Is this really a JPEG, PNG, WebP or HEIC image? Walk the container's structure, not just its first bytes.

A file that starts with JPEG magic bytes and then holds HTML passes a magic-byte test; it does not survive a
walk of the segments: every JPEG segment before the scan has a marker and a length that fit, a frame header
comes before the scan, and the scan ends with an end-of-image marker; PNG chunks carry lengths and CRCs from
IHDR to IEND; a WebP's RIFF size matches the file and its first chunk is VP8, VP8L or VP8X; a HEIC file is a
chain of ISO-BMFF boxes that fills the file. Pixels are not decoded (browsers and the photo screen do that;
a decoder here would cost a 12-megapixel photo's memory per upload).

Data after a JPEG's end-of-image is allowed: phones append motion-photo videos and maker notes there.
"""

from __future__ import annotations

import struct
import zlib

KINDS = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "heic": "image/heic"}
_HEIC_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc"}


def kind(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a well-formed image, or None."""
    for ext, check in (("jpg", _jpeg), ("png", _png), ("webp", _webp), ("heic", _heic)):
        if check(data):
            return KINDS[ext], ext
    return None


def _jpeg(d: bytes) -> bool:
    if d[:2] != b"\xff\xd8":
        return False
    i, frame = 2, False
    while i + 4 <= len(d):
        if d[i] != 0xFF:
            return False
        marker = d[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0xD9 or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            return False  # end of image or a restart marker before any scan
        (length,) = struct.unpack(">H", d[i + 2:i + 4])
        if length < 2 or i + 2 + length > len(d):
            return False
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            frame = True  # SOFn: the frame header with the image size
        if marker == 0xDA:  # start of scan: entropy-coded data up to the end-of-image marker
            return frame and d.find(b"\xff\xd9", i + 2 + length) != -1
        i += 2 + length
    return False


def _png(d: bytes) -> bool:
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    i, first = 8, True
    while i + 12 <= len(d):
        length, ctype = struct.unpack(">I4s", d[i:i + 8])
        end = i + 12 + length
        if end > len(d) or (first and ctype != b"IHDR") or not ctype.isalpha():
            return False
        (crc,) = struct.unpack(">I", d[end - 4:end])
        if zlib.crc32(d[i + 4:end - 4]) != crc:
            return False
        if ctype == b"IEND":
            return True
        i, first = end, False
    return False


def _webp(d: bytes) -> bool:
    if len(d) < 20 or d[:4] != b"RIFF" or d[8:12] != b"WEBP":
        return False
    (size,) = struct.unpack("<I", d[4:8])
    if size + 8 != len(d) and size + 8 + 1 != len(d):  # a writer may pad to even length
        return False
    (chunk_len,) = struct.unpack("<I", d[16:20])
    return d[12:16] in (b"VP8 ", b"VP8L", b"VP8X") and 20 + chunk_len <= len(d)


def _heic(d: bytes) -> bool:
    if len(d) < 16 or d[4:8] != b"ftyp" or d[8:12] not in _HEIC_BRANDS:
        return False
    i, boxes = 0, set()
    while i + 8 <= len(d):
        size, btype = struct.unpack(">I4s", d[i:i + 8])
        if size == 1 and i + 16 <= len(d):
            (size,) = struct.unpack(">Q", d[i + 8:i + 16])
        elif size == 0:
            size = len(d) - i  # the last box runs to the end of the file
        if size < 8 or i + size > len(d) or not btype.isascii():
            return False
        boxes.add(btype)
        i += size
    return i == len(d) and b"meta" in boxes
