"""Writes `megabytes` of output (text or bytes that are not UTF-8), then the value."""

import sys

megabytes, kind = int(sys.argv[1]), sys.argv[2]
line = b"x" * 1023 + b"\n" if kind == "text" else bytes(range(256)) * 4
out = sys.stdout.buffer
for _ in range(megabytes * 1024):
    out.write(line)
out.write(b"\nloss: 0.25\n")
out.flush()
