"""A real browser for the map's tests: headless Chromium from the system's packages
(`apt-get install chromium`; `.ci/run` installs it where it is missing), with a fresh
profile, no GPU and no background networking. And a PNG reader (zlib from the standard
library) to look at what it drew."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

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


class DevTools:
    """Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
    JSON messages ended by NUL on file descriptors 3 and 4), to move and click the mouse
    as a person would and read the page back. Standard library only."""

    def __init__(self, profile: Path, size: tuple[int, int] = (1200, 800)) -> None:
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def fds() -> None:  # in the child: the protocol's descriptors are 3 and 4
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child, from_child)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            preexec_fn=fds,
            close_fds=False,  # Python's own descriptors do not survive exec (PEP 446); 3, 4 do
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self._events: list[dict[str, Any]] = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        attached = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)
        self.session = attached["sessionId"]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if method.split(".")[0] not in ("Target", "Browser"):
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next:
                assert "error" not in answer, answer
                return dict(answer.get("result", {}))
            self._events.append(answer)

    def wait_for(self, method: str) -> dict[str, Any]:
        while True:
            seen = next((e for e in self._events if e.get("method") == method), None)
            if seen:
                self._events.remove(seen)
                return seen
            self._events.append(self._read())

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._in, 1 << 16)
            assert chunk, "the browser closed its DevTools pipe"
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def open(self, page: Path) -> None:
        self.call("Page.enable")
        self.call("Page.navigate", url=page.as_uri())
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        done = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in done, done
        return done["result"].get("value")

    def mouse(self, kind: str, x: float, y: float) -> None:
        extra = {"button": "left", "clickCount": 1} if kind != "mouseMoved" else {}
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def click(self, x: float, y: float) -> None:
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y)
        self.mouse("mouseReleased", x, y)

    def centre(self, selector: str) -> tuple[float, float]:
        """The middle of the first element `selector` finds, in window coordinates."""
        box = self.js(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        return float(box[0]), float(box[1])

    def close(self) -> None:
        with contextlib.suppress(OSError, AssertionError):
            self.call("Browser.close")
        self.proc.wait(timeout=60)
        os.close(self._out)
        os.close(self._in)
