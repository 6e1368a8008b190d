"""A fake GitHub REST API on loopback: pull requests (create, 422 when one is open for the
branch, list by head and state, get, update), labels, and what people said on a pull
request: its reviews, review comments and issue comments, in the shapes GitHub returns
(user.login, body, state, submitted_at/created_at, html_url, ...), paginated with a
`Link` header as GitHub writes it (next pages under /repositories/{id}/...). Requests
without the token get 401; `fail_feedback` makes the comment endpoints answer an error.

What GitHub refuses, it refuses, with GitHub's error bodies (message, errors,
documentation_url, status): a pull request whose head or base branch is not on the
remote (when `remote` names the bare repository the fake stands in front of) or whose
head has no commit the base lacks ("No commits between"), a second open one for the
same head, one without head, base or title, a title or body too long
(422); labels on, or an update of, an issue that does not exist (404); a request body
that is not JSON (400); an API version GitHub does not serve (400)."""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

TOKEN = "ghs_fAkEtOkEn0123456789secretvalue"
REPOSITORY = "octo/corpus"
REPOSITORY_ID = 1296269  # next-page links name the repository by id, as GitHub's do
WHEN = "2026-01-03T00:00:00Z"
DOCS = "https://docs.github.com/rest"
API_VERSIONS = ("2022-11-28",)
MAX_BODY, MAX_TITLE = 65536, 256  # what GitHub takes in a pull request's body and title


def error(status: int, message: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    """An error answer in GitHub's shape."""
    return status, {"message": message, **extra, "documentation_url": DOCS, "status": str(status)}


def invalid(**fields: str) -> tuple[int, dict[str, Any]]:
    """422 Validation Failed, one error per field: {field: code} or {"custom": message}."""
    errors = [
        {"resource": "PullRequest", "code": "custom", "message": text}
        if field == "custom"
        else {"resource": "PullRequest", "field": field, "code": text}
        for field, text in fields.items()
    ]
    return error(422, "Validation Failed", errors=errors)


def user(login: str, kind: str = "User") -> dict[str, Any]:
    return {
        "login": login,
        "id": sum(map(ord, login)),
        "node_id": f"U_{login}",
        "avatar_url": f"https://avatars.example/u/{login}",
        "html_url": f"https://github.example/{login}",
        "type": kind,
        "site_admin": False,
    }


class FakeGitHub:
    def __init__(self) -> None:
        self.pulls: dict[int, dict[str, Any]] = {}
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        self.review_comments: dict[int, list[dict[str, Any]]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []
        self.url = ""
        self.max_per_page = 100
        self.fail_feedback: tuple[int, str] | None = None  # (status, message)
        self.remote: Path | None = None  # the bare repository whose branches PRs name
        self._ids = 1000

    def close(self, number: int, merged: bool, by: str = "maintainer") -> None:
        pull = self.pulls[number]
        pull["state"] = "closed"
        pull["closed_at"] = WHEN
        pull["merged_at"] = WHEN if merged else None
        pull["merged"] = merged
        pull["merged_by"] = user(by) if merged else None

    # -- what people said, in GitHub's shapes ---------------------------------------------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def add_review(
        self,
        number: int,
        login: str,
        state: str,
        body: str = "",
        when: str = WHEN,
        association: str = "COLLABORATOR",
    ) -> dict[str, Any]:
        """A submitted review (state APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or
        PENDING), as GET /pulls/{n}/reviews lists it."""
        rid = self._next_id()
        api = f"https://api.github.example/repos/{REPOSITORY}/pulls/{number}"
        review = {
            "id": rid,
            "node_id": f"PRR_{rid}",
            "user": user(login),
            "body": body,
            "state": state,
            "html_url": f"https://github.example/{REPOSITORY}/pull/{number}"
            f"#pullrequestreview-{rid}",
            "pull_request_url": api,
            "author_association": association,
            "_links": {
                "html": {"href": f"#pullrequestreview-{rid}"},
                "pull_request": {"href": api},
            },
            "commit_id": "0" * 40,
        }
        if state != "PENDING":  # a pending review has not been submitted
            review["submitted_at"] = when
        self.reviews.setdefault(number, []).append(review)
        return review

    def add_review_comment(
        self,
        number: int,
        login: str,
        body: str,
        path: str,
        line: int,
        when: str = WHEN,
        association: str = "COLLABORATOR",
    ) -> dict[str, Any]:
        """A comment on a line of the diff, as GET /pulls/{n}/comments lists it."""
        cid = self._next_id()
        comment = {
            "id": cid,
            "node_id": f"PRRC_{cid}",
            "pull_request_review_id": None,
            "diff_hunk": "@@ -0,0 +1,3 @@\n+---",
            "path": path,
            "position": line,
            "original_position": line,
            "commit_id": "0" * 40,
            "original_commit_id": "0" * 40,
            "user": user(login),
            "body": body,
            "created_at": when,
            "updated_at": when,
            "html_url": f"https://github.example/{REPOSITORY}/pull/{number}#discussion_r{cid}",
            "pull_request_url": f"https://api.github.example/repos/{REPOSITORY}/pulls/{number}",
            "author_association": association,
            "start_line": None,
            "original_start_line": None,
            "start_side": None,
            "line": line,
            "original_line": line,
            "side": "RIGHT",
            "subject_type": "line",
        }
        self.review_comments.setdefault(number, []).append(comment)
        return comment

    def add_comment(
        self,
        number: int,
        login: str,
        body: str,
        when: str = WHEN,
        kind: str = "User",
        association: str = "COLLABORATOR",
    ) -> dict[str, Any]:
        """A comment in the pull request's conversation, as GET /issues/{n}/comments
        lists it (a closing comment is one of these)."""
        cid = self._next_id()
        comment = {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"https://api.github.example/repos/{REPOSITORY}/issues/comments/{cid}",
            "html_url": f"https://github.example/{REPOSITORY}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"https://api.github.example/repos/{REPOSITORY}/issues/{number}",
            "body": body,
            "user": user(login, kind),
            "created_at": when,
            "updated_at": when,
            "author_association": association,
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def _page(self, items: list[Any], route: str, query: dict[str, str]) -> tuple[int, Any, dict]:
        per_page = min(int(query.get("per_page", "30")), self.max_per_page)
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        base = f"{self.url}/repositories/{REPOSITORY_ID}{route}"
        if page < last:
            links.append(f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{base}?per_page={per_page}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}?per_page={per_page}&page=1>; rel="first"')
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        parsed = urllib.parse.urlparse(path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        full = parsed.path.replace(f"/repositories/{REPOSITORY_ID}/", f"/repos/{REPOSITORY}/", 1)
        base = f"/repos/{REPOSITORY}"
        route = full.removeprefix(base)
        if not full.startswith(base + "/"):
            return (*error(404, "Not Found"), {})
        parts = route.strip("/").split("/")
        if method == "GET" and len(parts) == 3 and parts[2] in ("reviews", "comments"):
            if self.fail_feedback is not None:
                status, message = self.fail_feedback
                return (*error(status, message), {})
            number = _number(parts[1])
            if parts[0] == "pulls" and number in self.pulls:
                found = self.reviews if parts[2] == "reviews" else self.review_comments
                return self._page(found.get(number, []), route, query)
            if parts[0] == "issues" and parts[2] == "comments" and number in self.pulls:
                return self._page(self.comments.get(number, []), route, query)
        status, answer = self._pulls(method, route, query, body)
        return status, answer, {}

    def _branch_missing(self, branch: str) -> bool:
        """Whether `branch` is not on the remote (never, when the fake has none)."""
        if self.remote is None:
            return False
        found = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}"],
            cwd=self.remote,
            capture_output=True,
        )
        return found.returncode != 0

    def _nothing_new(self, head: str, base: str) -> bool:
        """Whether `head` has no commit that `base` lacks (never, when the fake has no
        remote)."""
        if self.remote is None:
            return False
        ahead = subprocess.run(
            ["git", "rev-list", "--count", f"refs/heads/{base}..refs/heads/{head}"],
            cwd=self.remote,
            capture_output=True,
            text=True,
        )
        return ahead.returncode == 0 and ahead.stdout.strip() == "0"

    def _create(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str) and body[k] for k in ("head", "base", "title")
        ):
            missing = [
                k
                for k in ("head", "base", "title")
                if not isinstance(body, dict) or not body.get(k)
            ]
            return invalid(**{k: "missing_field" for k in missing})
        head, base = body["head"].partition(":")[2] or body["head"], body["base"]
        if refused := _too_long(body):
            return refused
        if self._branch_missing(head):
            return invalid(head="invalid")
        if self._branch_missing(base):
            return invalid(base="invalid")
        if self._nothing_new(head, base):
            return invalid(custom=f"No commits between {base} and {head}")
        if any(p["head"]["ref"] == head and p["state"] == "open" for p in self.pulls.values()):
            owner = REPOSITORY.split("/")[0]
            return invalid(custom=f"A pull request already exists for {owner}:{head}.")
        number = len(self.pulls) + 1
        self.pulls[number] = {
            "number": number,
            "state": "open",
            "merged_at": None,
            "title": body["title"],
            "body": body.get("body"),
            "head": {"ref": head},
            "base": {"ref": base},
            "labels": [],
            "html_url": f"https://github.example/{REPOSITORY}/pull/{number}",
        }
        return 201, self.pulls[number]

    def _pulls(self, method: str, route: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if route == "/pulls" and method == "POST":
            return self._create(body)
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
        number = _number(parts[1]) if len(parts) > 1 else None
        pull = self.pulls.get(number) if number is not None else None
        if len(parts) == 2 and parts[0] == "pulls" and method in ("GET", "PATCH"):
            if pull is None:
                return error(404, "Not Found")
            if method == "PATCH":
                if not isinstance(body, dict):
                    return error(400, "Problems parsing JSON")
                if refused := _too_long(body):
                    return refused
                pull.update({k: v for k, v in body.items() if k in ("title", "body")})
            return 200, pull
        if len(parts) == 3 and parts[0] == "issues" and parts[2] == "labels" and method == "POST":
            if pull is None:
                return error(404, "Not Found")
            labels = body.get("labels") if isinstance(body, dict) else None
            if not isinstance(labels, list) or not all(isinstance(n, str) for n in labels):
                return invalid(labels="invalid")
            pull["labels"] = sorted(set(pull["labels"]) | set(labels))
            return 200, [{"name": n} for n in pull["labels"]]
        return error(404, "Not Found")


def _too_long(body: dict[str, Any]) -> tuple[int, Any] | None:
    for field, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
        if len(body.get(field) or "") > limit:
            return invalid(custom=f"{field} is too long (maximum is {limit} characters)")
    return None


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            fake.requests.append((self.command, self.path))
            headers: dict[str, str] = {}
            version = self.headers.get("X-GitHub-Api-Version")
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = ValueError
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, answer = error(401, "Bad credentials")
            elif version is not None and version not in API_VERSIONS:
                status, answer = error(400, f"API version {version!r} is not supported.")
            elif body is ValueError:
                status, answer = error(400, "Problems parsing JSON")
            else:
                status, answer, headers = fake.handle(self.command, self.path, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
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
