"""The page `agentgit map` draws: a `Landscape` (agentgit.map) as one self-contained HTML
file, and where and how it is written.

The page needs no network: the data as inline JSON, drawn into SVG and canvas by a small
inline script (assets/), every text set as text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import escape
from pathlib import Path
from typing import Any

from agentgit.core.errors import AgentgitError
from agentgit.git import Repository
from agentgit.map.gather import Landscape, SessionMark

ASSETS = Path(__file__).parent / "assets"
SCRIPTS = ("terrain.js", "runs.js", "map.js")
DEFAULT_NAME = "map.html"  # under the git dir's agentgit/: never in a tree, never committed


def render(landscape: Landscape) -> str:
    """The page: one HTML file with its style, script and data inline. A Content
    Security Policy admits only that script and that style (by hash) and no network,
    so even a text that slipped past escaping could not run or fetch anything."""
    style = (ASSETS / "map.css").read_text("utf-8")
    # One script (one hash in the policy): the panels first, the timeline that calls them last.
    script = "\n".join((ASSETS / name).read_text("utf-8") for name in SCRIPTS)
    page = (ASSETS / "map.html").read_text("utf-8")
    policy = (
        "default-src 'none'; "
        f"script-src '{_digest(script)}'; style-src '{_digest(style)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    counts = landscape.counts()
    fields = {
        "policy": escape(policy, quote=False),  # it holds no double quote
        "title": escape(f"{landscape.name} — agentgit map"),
        "name": escape(landscape.name),
        "summary": escape(
            f"{len(landscape.sessions):,} sessions · "
            + " · ".join(f"{n:,} {o}" for o, n in sorted(counts.items()))
            + f" · as of {landscape.generated}"
        ),
        "style": style,
        "script": script,
        "data": script_json(_payload(landscape)),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: fields[m.group(1)], page)


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def script_json(data: object) -> str:
    """JSON that is safe inside a <script> element: no `<`, `>` or `&` can close it or
    open a comment, and the line separators JavaScript once refused are escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _payload(landscape: Landscape) -> dict[str, Any]:
    return {
        "name": landscape.name,
        "generated": landscape.generated,
        "dead_after": landscape.dead_after,
        "sessions": [_session_data(s) for s in landscape.sessions],
        "questions": [
            {**q.__dict__, "events": [e.__dict__ for e in q.events]} for q in landscape.questions
        ],
        "terrain": landscape.terrain.as_data(),
        "runs": landscape.runs,
        "metric": landscape.metric,
    }


def _session_data(mark: SessionMark) -> dict[str, Any]:
    """A session's fields without the empty ones: thousands of sessions add up."""
    data = {k: v for k, v in mark.__dict__.items() if not (v is None or v == "" or v == [])}
    if not mark.more_steps:
        del data["more_steps"]
    if mark.novelty:
        data["novelty"] = [
            {k: v for k, v in n.__dict__.items() if v is not None} for n in mark.novelty
        ]
    return data


def default_path(repo: Repository) -> Path:
    repo.state_dir.mkdir(parents=True, exist_ok=True)
    return repo.state_dir / DEFAULT_NAME


def write(text: str, target: Path) -> Path:
    """Write the page to `target`, atomically (a reader never sees half a map; a failed
    write leaves the old one). A missing directory or a target that is not a file is a
    one-line error."""
    if target.is_dir():
        raise AgentgitError(f"{target}: is a directory; give -o a file name")
    if not target.parent.is_dir():
        raise AgentgitError(f"{target.parent}: no such directory")
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, "utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise AgentgitError(f"{target}: cannot write the map ({exc.strerror})") from None
    return target
