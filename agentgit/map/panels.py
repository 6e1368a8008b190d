"""What the map's two newer panels draw, gathered: the terrain (DESIGN §8, from
agentgit.landscape.terrain) and the experiment runs (§10, from agentgit.experiment.results).

Both arrive as plain records and leave as plain records, bounded, so the page's size stays
a few MB at 10,000 pieces and 5,000 sessions. A repository with neither gets empty
panels, never an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from agentgit.core.settings import Settings
from agentgit.corpus.history import LogLine
from agentgit.experiment.results import runs as experiment_runs
from agentgit.git import Repository
from agentgit.landscape.terrain import survey as terrain_survey

MAX_WHY = 600
MAX_WORDS = 6
MAX_WORD = 40
MAX_GROUND = 50  # slugs a session's read or wrote carries into the page
MAX_HYPOTHESIS = 300
VERDICTS = ("exploring", "leaping", "surveying", "wandering", "unknown")
STATUSES = ("keep", "discard", "crash", "timeout")


@dataclass
class Terrain:
    """The survey's records, grouped by type (the page needs no `type` key per record)."""

    pieces: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)

    def as_data(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "pieces": self.pieces,
            "regions": self.regions,
            "sessions": self.sessions,
            "coverage": self.coverage,
        }


def terrain(
    repo: Repository,
    settings: Settings,
    files: dict[str, str] | None = None,
    lines: list[LogLine] | None = None,
) -> Terrain:
    """The terrain's records for the page; ``files`` and ``lines``: main's corpus tree
    and log, which the map has already read."""
    return terrain_of(terrain_survey(repo, settings, files=files, lines=lines).records())


def runs(repo: Repository) -> list[dict[str, Any]]:
    return runs_of(run.as_record() for run in experiment_runs(repo))


def terrain_of(records: Any) -> Terrain:
    """The survey's records (an iterable of dicts with a `type`), checked and bounded: a
    record that is not one is left out, as the rest of the map does with bad frontmatter."""
    out = Terrain()
    for record in records:
        if not isinstance(record, dict):
            continue
        kind = record.get("type")
        if kind == "piece":
            piece = _piece(record)
            if piece:
                out.pieces.append(piece)
        elif kind == "region" and _scalar(record.get("id")) is not None:
            out.regions.append(
                {
                    "id": _scalar(record.get("id")),
                    "words": [_clip(str(w), MAX_WORD) for w in _list(record.get("words"))][
                        :MAX_WORDS
                    ],
                    "pieces": _count(record.get("pieces")),
                    "circling": [n for n in _list(record.get("circling")) if _int(n) is not None],
                }
            )
        elif kind == "session" and _int(record.get("session")) is not None:
            verdict = record.get("verdict")
            out.sessions.append(
                {
                    "session": record["session"],
                    "verdict": verdict if verdict in VERDICTS else "unknown",
                    "why": _clip(_text(record.get("why")), MAX_WHY),
                    "read": _slugs(record.get("read")),
                    "wrote": _slugs(record.get("wrote")),
                    "regions": [r for r in _list(record.get("regions")) if _scalar(r) is not None][
                        :MAX_GROUND
                    ],
                }
            )
        elif kind == "coverage" and _int(record.get("session")) is not None:
            out.coverage.append(
                {
                    "session": record["session"],
                    "regions_touched": _count(record.get("regions_touched")),
                    "new_regions": _count(record.get("new_regions")),
                    "founded_share": _share(record.get("founded_share")),
                }
            )
    out.sessions.sort(key=lambda s: s["session"])
    out.coverage.sort(key=lambda c: c["session"])
    return out


def runs_of(records: Any) -> list[dict[str, Any]]:
    """Experiment runs as the chart wants them, oldest first (session, then experiment):
    a value that is not a finite number is None (a crash or a timeout has none)."""
    found = []
    for record in records:
        if not isinstance(record, dict) or _int(record.get("session")) is None:
            continue
        status = record.get("status")
        value = record.get("value")
        found.append(
            {
                "session": record["session"],
                "experiment": _int(record.get("experiment")) or 0,
                "commit": _text(record.get("commit"))[:40],
                "value": _finite(value),
                "status": status if status in STATUSES else "crash",
                "seconds": _finite(record.get("seconds")),
                "hypothesis": _clip(_text(record.get("hypothesis")), MAX_HYPOTHESIS),
            }
        )
    found.sort(key=lambda r: (r["session"], r["experiment"]))
    return found


def _piece(record: dict[str, Any]) -> dict[str, Any] | None:
    slug, x, y = _text(record.get("slug")), _finite(record.get("x")), _finite(record.get("y"))
    if not slug or x is None or y is None:
        return None
    return {"slug": slug, "region": _scalar(record.get("region")), "x": x, "y": y}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _count(value: object) -> int:
    number = _int(value)
    return number if number is not None and number >= 0 else 0


def _scalar(value: object) -> int | str | None:
    """A region's id: a number or a name."""
    if isinstance(value, str) and value:
        return value
    return _int(value)


def _finite(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return round(float(value), 6)
    return None


def _share(value: object) -> float | None:
    number = _finite(value)
    return number if number is not None and 0 <= number <= 1 else None


def _slugs(value: object) -> list[str]:
    return [v for v in _list(value) if isinstance(v, str) and v][:MAX_GROUND]


def metric(settings: Settings) -> dict[str, str] | None:
    """The `[metric]` table's name and direction, for the runs chart's axis and its running
    best; None where this repository (or this agentgit) has none."""
    table = getattr(settings, "metric", None)
    if table is None:
        return None
    found = table if isinstance(table, dict) else getattr(table, "__dict__", {})
    name, direction = found.get("name"), found.get("direction")
    if direction not in ("lower", "higher"):
        return None
    return {"name": name if isinstance(name, str) else "value", "direction": direction}
