"""Spend over days (DESIGN §9): `max_cost_day` and `max_cost_week`, checked before a
session starts against the costs recorded on main, and on the remote's main when there
is a remote.

Main's commit for each session carries its cost and when it ended as trailers
(`Agentgit-Cost`, `Agentgit-Ended`), so the ledger is one first-parent walk and reads
no file. "The day" is the last 24 hours before now and "the week" the last 7 × 24
hours. A landing without `Agentgit-Ended` (made by an older agentgit) is dated by its
commit. A cost recorded as unknown (a local model) counts as $0, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from agentgit.core import figures
from agentgit.core.refs import MAIN
from agentgit.core.settings import Settings
from agentgit.core.trailers import Trailer
from agentgit.corpus import history
from agentgit.git import Commit, Repository
from agentgit.session import coordinator

WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7)}
WINDOW_TEXT = {"day": "the last 24 hours", "week": "the last 7 days"}


@dataclass
class Spent:
    """Dollars spent in each window, and how many sessions there had an unknown cost
    (counted as $0)."""

    cost: dict[str, float] = field(default_factory=lambda: dict.fromkeys(WINDOWS, 0.0))
    unknown: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WINDOWS, 0))


def spent(repo: Repository, remote: str | None, now: datetime) -> Spent:
    """What the sessions that ended in the last day and week cost, each counted once
    (the remote's main first: it has what every clone landed)."""
    mains = [MAIN]
    if remote and coordinator.fetch_main(repo, remote):
        mains.insert(0, coordinator.tracking(remote))
    seen: set[str] = set()
    total = Spent()
    for main in mains:
        if repo.rev_parse(main) is None:
            continue
        for commit in history.landings(repo, main):
            number = commit.trailers.get(Trailer.SESSION, "")
            if number in seen:
                continue  # landed twice (left for review, then decided): the newest
            seen.add(number)
            age, cost = now - _ended(commit), _cost(commit)
            for window, length in WINDOWS.items():
                if age > length:
                    continue
                if cost is None:
                    total.unknown[window] += 1
                else:
                    total.cost[window] += cost
    return total


def _ended(commit: Commit) -> datetime:
    for text in (commit.trailers.get(Trailer.ENDED, ""), commit.date):
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            continue
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)  # undated: outside every window


def _cost(commit: Commit) -> float | None:
    """The dollars a landing records; None when it is unknown or not a cost at all (a
    trailer edited to `nan` would pass every cap, one of `-5` would lower the spend)."""
    try:
        return figures.cost(commit.trailers.get(Trailer.COST, figures.UNKNOWN))
    except figures.BadFigure:
        return None


def caps(settings: Settings) -> dict[str, float]:
    """The caps that are on (0 is off)."""
    return {
        w: c for w, c in (("day", settings.max_cost_day), ("week", settings.max_cost_week)) if c
    }


def refusal(
    repo: Repository,
    settings: Settings,
    remote: str | None,
    *,
    may: float,
    now: datetime | None = None,
) -> tuple[str | None, Spent]:
    """Why a session that may spend `may` dollars (its max_cost; nothing when its model
    is free or has no price) must not start, in one line (None: it may), and what was
    spent. It does not start when it could pass a cap, nor once a cap is reached."""
    total = spent(repo, remote, now or datetime.now(UTC))
    for window, cap in caps(settings).items():
        used = total.cost[window]
        if used >= cap or used + may > cap:
            line = (
                f"not started: ${used:.2f} spent of max_cost_{window} ${cap:.2f} in "
                f"{WINDOW_TEXT[window]}"
            )
            if used < cap:
                line += f", and a session may spend up to ${may:.2f} (max_cost)"
            return line + unknown_note(total, window), total
    return None, total


def unknown_note(total: Spent, window: str) -> str:
    n = total.unknown[window]
    if not n:
        return ""
    return f"; {n} session{'s' if n > 1 else ''} of unknown cost counted as $0"
