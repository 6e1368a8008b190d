"""A real smart-HTTP git remote on 127.0.0.1: `git http-backend` behind a small CGI
handler, as a git host serves it, that a test can switch to misbehave.

Modes (`HttpRemote.mode`):
- "ok": serve every request.
- "stall": accept the request and never answer (until the test ends).
- "auth": answer 401 to every request, as a private repository does.
- "auth-push": read anonymously, 401 for a push (a public repository).
- "drop-main": a push that updates refs/heads/main is applied, then the connection is
  closed before any answer: the server did it, the client never hears so.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class HttpRemote:
    def __init__(self, root: Path) -> None:
        self.root = root  # GIT_PROJECT_ROOT; the repository is root/corpus.git
        self.bare = root / "corpus.git"
        self.mode = "ok"
        self.requests: list[tuple[str, str]] = []  # (mode, path) for each request seen
        self.released = threading.Event()  # ends every stall
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/corpus.git"

    def seen(self, mode: str) -> int:
        return sum(1 for m, _ in self.requests if m == mode)


def _handler(remote: HttpRemote) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            self._serve(self._body())

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _serve(self, body: bytes) -> None:
            mode = remote.mode
            remote.requests.append((mode, self.path))
            pushing = "git-receive-pack" in self.path
            if mode == "stall":
                remote.released.wait()
                return
            if mode == "auth" or (mode == "auth-push" and pushing):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="corpus"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, headers, out = self._backend(body)
            if (
                mode == "drop-main"
                and pushing
                and b"refs/heads/main" in body[:4096]
                and self.command == "POST"
            ):
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def _backend(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            path, _, query = self.path.partition("?")
            env = {
                **os.environ,
                "GIT_PROJECT_ROOT": str(remote.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": "tester",
                "REMOTE_ADDR": "127.0.0.1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
            }
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            proc = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
            )
            head, _, out = proc.stdout.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.decode("latin-1").split("\r\n"):
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.split()[0])
                elif key:
                    headers.append((key, value.strip()))
            return status, headers, out

    return Handler


@pytest.fixture
def http_remote(tmp_path: Path) -> Iterator[HttpRemote]:
    """An empty bare repository served over smart HTTP on 127.0.0.1."""
    root = tmp_path / "served"
    root.mkdir()
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(root / "corpus.git")], check=True
    )
    remote = HttpRemote(root)
    thread = threading.Thread(target=remote.server.serve_forever, daemon=True)
    thread.start()
    yield remote
    remote.released.set()
    remote.server.shutdown()
    remote.server.server_close()
    thread.join()
