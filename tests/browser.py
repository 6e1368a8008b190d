"""A real browser for the map's tests: headless Chromium from the system's packages
(`apt-get install chromium`; `.ci/run` installs it where it is missing), with a fresh
profile, no GPU and no background networking. And a PNG reader (zlib from the standard
library) to look at what it drew."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--hide-scrollbars",
)


def chromium() -> str:
    """The browser's path; the test fails, saying how to install it, where there is none
    (the map's drawing is only proved in a browser, so its absence is not a skip)."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "the map's browser tests need Chromium: install it with `apt-get install chromium` "
        "(Debian, Ubuntu), or put chromium on PATH; .ci/run does this on CI",
        pytrace=False,
    )


def run(
    page: Path, profile: Path, *args: str, fragment: str = ""
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri() + fragment],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def dom(page: Path, profile: Path, fragment: str = "") -> str:
    """The page's DOM after its script ran (`--dump-dom`)."""
    return run(page, profile, "--dump-dom", fragment=fragment).stdout


def screenshot(page: Path, profile: Path, target: Path, size: str = "1200,800") -> Path:
    run(page, profile, f"--window-size={size}", f"--screenshot={target}")
    assert target.exists()
    return target


@dataclass
class Image:
    width: int
    height: int
    colours: Counter[tuple[int, int, int]]  # how many pixels have each RGB colour

    def count(self, hex_colour: str) -> int:
        """Pixels of exactly this colour (a mark's fill inside its edge is exact)."""
        value = int(hex_colour.lstrip("#"), 16)
        return self.colours[(value >> 16, (value >> 8) & 0xFF, value & 0xFF)]


def read_png(path: Path) -> Image:
    """An 8-bit RGB or RGBA PNG (what Chromium writes), decoded: chunks, zlib, and the
    five row filters of the PNG specification."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = []
    prior = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        prior = _unfilter(raw[start], raw[start + 1 : start + 1 + stride], prior, channels)
        rows.append(prior)
    pixels = b"".join(rows)
    c = channels
    return Image(width, height, Counter(zip(pixels[0::c], pixels[1::c], pixels[2::c], strict=True)))


def _unfilter(kind: int, line: bytes, prior: bytes, bpp: int) -> bytes:
    if kind == 0:
        return line
    if kind == 2:  # Up: byte-wise sums, done by C loops
        return bytes(map(_BYTE.__and__, map(int.__add__, line, prior)))
    if kind == 1:  # Sub: a running sum per channel
        out = bytearray(len(line))
        for k in range(bpp):
            out[k::bpp] = bytes(map(_BYTE.__and__, accumulate(line[k::bpp])))
        return bytes(out)
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        up = prior[i]
        if kind == 3:
            out[i] = (out[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            corner = prior[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + _paeth(left, up, corner)) & 0xFF
        else:
            raise AssertionError(f"bad PNG filter {kind}")
    return bytes(out)


_BYTE = 0xFF


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c
