"""What a file is: its checksum, and for an image, the type and size its own bytes declare."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


MAX_IMAGE_BYTES = 20_000_000
MAX_IMAGE_SIDE = 10_000  # pixels; podcast directories ask for 1400 to 3000
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}  # SOFn markers


def image_info(data: bytes) -> tuple[str, int, int] | None:
    """The MIME type and the width and height an image's own bytes declare (PNG or JPEG), whatever its
    name says; None for anything else, or a header that does not hold together."""
    if data.startswith(_PNG) and data[12:16] == b"IHDR" and len(data) >= 24:
        return "image/png", int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not data.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 4 <= len(data):  # JPEG segments: FF, marker, length; the frame header holds the size
        if data[at] != 0xFF:
            return None
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in _JPEG_FRAMES and at + 9 <= len(data):
            return "image/jpeg", int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
        if length < 2:
            return None
        at += 2 + length
    return None


def image_problem(path: Path) -> str | None:
    """Why `path` cannot be a programme's cover (not a PNG or JPEG by its bytes, a damaged header, absurd
    dimensions, too large), or None."""
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        return f"is {size // 1_000_000} MB: use an image under {MAX_IMAGE_BYTES // 1_000_000} MB"
    with path.open("rb") as handle:
        info = image_info(handle.read(min(size, 1 << 20)))
    if info is None:
        return "is not a PNG or JPEG image (its bytes say otherwise): export the cover as PNG or JPEG"
    _, width, height = info
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        return f"declares {width}x{height} pixels: use an image of 1 to {MAX_IMAGE_SIDE} pixels a side"
    return None


def image_mime(path: Path) -> str:
    """The MIME type of an image its bytes declare (image_problem has accepted it)."""
    with path.open("rb") as handle:
        info = image_info(handle.read(1 << 20))
    return info[0] if info else "application/octet-stream"
