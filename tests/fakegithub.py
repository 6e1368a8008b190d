"""A fake GitHub REST API on loopback: pull requests (create, 422 when one is open for the
branch, list by head and state, update), labels. Requests without the token get 401."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "ghs_fAkEtOkEn0123456789secretvalue"
REPOSITORY = "octo/corpus"


class FakeGitHub:
    def __init__(self) -> None:
        self.pulls: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.url = ""

    def close(self, number: int, merged: bool) -> None:
        pull = self.pulls[number]
        pull["state"] = "closed"
        pull["merged_at"] = "2026-01-03T00:00:00Z" if merged else None

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parsed = urllib.parse.urlparse(path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        base = f"/repos/{REPOSITORY}"
        route = parsed.path.removeprefix(base)
        if not parsed.path.startswith(base + "/"):
            return 404, {"message": "Not Found"}
        if route == "/pulls" and method == "POST":
            if any(
                p["head"]["ref"] == body["head"] and p["state"] == "open"
                for p in self.pulls.values()
            ):
                return 422, {"message": "Validation Failed"}
            number = len(self.pulls) + 1
            self.pulls[number] = {
                "number": number,
                "state": "open",
                "merged_at": None,
                "title": body["title"],
                "body": body["body"],
                "head": {"ref": body["head"]},
                "base": {"ref": body["base"]},
                "labels": [],
                "html_url": f"https://github.example/{REPOSITORY}/pull/{number}",
            }
            return 201, self.pulls[number]
        if route == "/pulls" and method == "GET":
            owner, _, branch = query.get("head", "").partition(":")
            state = query.get("state", "open")
            found = [
                p
                for p in self.pulls.values()
                if p["head"]["ref"] == branch
                and owner == REPOSITORY.split("/")[0]
                and state in ("all", p["state"])
            ]
            return 200, found
        parts = route.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "pulls" and method == "PATCH":
            pull = self.pulls[int(parts[1])]
            pull.update({k: v for k, v in body.items() if k in ("title", "body")})
            return 200, pull
        if len(parts) == 3 and parts[0] == "issues" and parts[2] == "labels":
            pull = self.pulls[int(parts[1])]
            pull["labels"] = sorted(set(pull["labels"]) | set(body["labels"]))
            return 200, [{"name": n} for n in pull["labels"]]
        return 404, {"message": "Not Found"}


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            fake.requests.append((self.command, self.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, answer = 401, {"message": "Bad credentials"}
            else:
                status, answer = fake.handle(self.command, self.path, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
