"""A small GitHub REST client (urllib: no import cost): pull requests and labels.

The token comes from GITHUB_TOKEN and goes only into the Authorization header of
requests to the API root (GITHUB_API_URL, default the public API): it is never printed,
put in an error message, written to git config or to a remote URL.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from agentgit.core.errors import AgentgitError
from agentgit.core.scrub import clean_line, clean_text

DEFAULT_API = "https://api.github.com"
TIMEOUT = 30.0
MAX_TITLE, MAX_BODY = 256, 65536  # what GitHub takes in a pull request (it refuses more)


class GitHubError(AgentgitError):
    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def repo_from_url(url: str) -> str | None:
    """owner/name from a GitHub remote URL (https, ssh or scp-like), or None."""
    url = url.strip()
    if "://" not in url and not re.match(r"^[^/]+@[^/:]+:", url):
        return None  # a local path
    match = re.search(r"[/:]([^/:]+)/([^/]+?)(?:\.git)?/?$", url)
    return f"{match.group(1)}/{match.group(2)}" if match else None


class GitHub:
    def __init__(self, token: str, repository: str, api: str = DEFAULT_API) -> None:
        self._token = token
        self.repository = repository
        self.api = api.rstrip("/")

    @classmethod
    def from_env(cls, remote_url: str | None, env: Mapping[str, str] | None = None) -> GitHub:
        env = os.environ if env is None else env
        token = env.get("GITHUB_TOKEN", "")
        if not token:
            raise AgentgitError("--review pr needs GITHUB_TOKEN in the environment")
        repository = env.get("GITHUB_REPOSITORY") or (
            repo_from_url(remote_url) if remote_url else None
        )
        if not repository:
            raise AgentgitError(
                "cannot tell the GitHub repository: set GITHUB_REPOSITORY (owner/name)"
            )
        return cls(token, repository, env.get("GITHUB_API_URL") or DEFAULT_API)

    def __repr__(self) -> str:  # never shows the token
        return f"GitHub({self.repository!r}, {self.api!r})"

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    def request(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> Any:
        url = f"{self.api}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        raw, _ = self._send(method, path, url, body)
        return json.loads(raw) if raw else None

    def get_all(
        self, path: str, query: Mapping[str, str] | None = None, max_pages: int = 10
    ) -> list[Any]:
        """Every item of a paginated list, following the `Link: <...>; rel="next"` header
        GitHub sends (at most `max_pages` pages). A next link outside the API root is not
        followed: the token goes nowhere else."""
        url: str | None = f"{self.api}{path}?" + urllib.parse.urlencode(
            {"per_page": "100", **(query or {})}
        )
        items: list[Any] = []
        for _ in range(max_pages):
            if url is None:
                break
            raw, headers = self._send("GET", path, url, None)
            try:
                page = json.loads(raw) if raw else []
            except ValueError:
                page = None
            if not isinstance(page, list):
                raise GitHubError(f"GitHub GET {path}: the answer is not a JSON list")
            items += page
            url = next_link(headers.get("Link", ""))
            if url is not None and not url.startswith(self.api + "/"):
                raise GitHubError(f"GitHub GET {path}: a next page outside {self.api}")
        return items

    def _send(self, method: str, path: str, url: str, body: Any) -> tuple[bytes, Mapping[str, str]]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "agentgit",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
                return response.read(), response.headers
        except urllib.error.HTTPError as exc:
            detail = ""
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                detail = _detail(json.loads(exc.read() or b"{}"))
            raise GitHubError(
                f"GitHub {method} {path}: {exc.code} {detail}".rstrip(), exc.code
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GitHubError(f"GitHub {method} {path}: {reason}") from None

    # -- pull requests ---------------------------------------------------------------

    def find_pull(self, branch: str, state: str = "all") -> dict[str, Any] | None:
        pulls = self.request(
            "GET",
            f"/repos/{self.repository}/pulls",
            query={"head": f"{self.owner}:{branch}", "state": state},
        )
        return pulls[0] if pulls else None

    def open_or_update_pull(self, branch: str, base: str, title: str, body: str) -> dict[str, Any]:
        """A pull request for `branch`; one that exists (422) is updated, not duplicated.
        Its text (titles, the model's summary and reasoning) goes out cleaned of
        credentials and terminal controls, as commit messages do, and cut to the length
        GitHub takes."""
        title, body = clean_line(title)[:MAX_TITLE], _fit(clean_text(body))
        try:
            return self.request(
                "POST",
                f"/repos/{self.repository}/pulls",
                {"head": branch, "base": base, "title": title, "body": body},
            )
        except GitHubError as exc:
            if exc.status != 422:
                raise
            refused = exc
        existing = self.find_pull(branch, state="open")
        if existing is None:  # refused for another reason: GitHub's own words say which
            raise refused
        return self.request(
            "PATCH",
            f"/repos/{self.repository}/pulls/{existing['number']}",
            {"title": title, "body": body},
        )

    def pull(self, number: int) -> dict[str, Any]:
        return dict(self.request("GET", f"/repos/{self.repository}/pulls/{number}"))

    def pull_feedback(self, number: int, max_pages: int = 10) -> dict[str, list[Any]]:
        """What people said on pull request `number`: its reviews, its review (diff)
        comments and its conversation's comments, as GitHub returns them (at most
        `max_pages` pages of each)."""
        base = f"/repos/{self.repository}"
        return {
            "reviews": self.get_all(f"{base}/pulls/{number}/reviews", max_pages=max_pages),
            "review_comments": self.get_all(f"{base}/pulls/{number}/comments", max_pages=max_pages),
            "comments": self.get_all(f"{base}/issues/{number}/comments", max_pages=max_pages),
        }

    def add_labels(self, number: int, labels: list[str]) -> None:
        self.request("POST", f"/repos/{self.repository}/issues/{number}/labels", {"labels": labels})


def _fit(body: str) -> str:
    """`body` cut to what GitHub takes, saying so."""
    if len(body) <= MAX_BODY:
        return body
    note = "\n\n… (cut to the 65536 characters GitHub takes)\n"
    return body[: MAX_BODY - len(note)] + note


def _detail(answer: dict[str, Any]) -> str:
    """An error answer's message, with what its `errors` say (a 422 "Validation Failed"
    says which field, or why, only there), on one line."""
    said = []
    for item in answer.get("errors") or []:
        if isinstance(item, dict):
            text = item.get("message") or " ".join(
                str(item[k]) for k in ("field", "code") if item.get(k)
            )
        else:
            text = str(item)
        if text:
            said.append(str(text))
    message = str(answer.get("message") or "")
    return clean_line(f"{message}: {'; '.join(said)}" if said else message)


def next_link(header: str) -> str | None:
    """The rel="next" URL of a `Link` header (RFC 8288, as GitHub writes it), or None."""
    for part in header.split(","):
        match = re.fullmatch(r"\s*<([^>]*)>\s*;(.*)", part)
        if match and re.search(r'\brel="?next"?(?:[\s;]|$)', match.group(2)):
            return match.group(1)
    return None
