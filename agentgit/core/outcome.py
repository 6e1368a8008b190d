"""What a session came to: one enum that every band uses (log entries, trailers,
`--json`, the map, the questions), so no band spells an outcome as a bare string."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What a session came to, as log entries, trailers and `--json` name it."""

    CRYSTALLIZED = "crystallized"  # kept: merged to main
    ABANDONED = "abandoned"  # discarded: its log entry on main, its head archived
    NEEDS_REVIEW = "needs-review"  # kept, but it could not merge without a person
    INTERRUPTED = "interrupted"  # stopped before it ended; resumable
    IN_REVIEW = "in-review"  # sent to review (--review pr|branch); sync records it
    SKIPPED = "skipped"  # not started: the spend over a day or week is used up


# Not an outcome, so no member: a session that has none yet (its branch is open, it is
# neither recorded on main nor in review), as `agentgit log` and the map name it. Apart
# from the enum, a trailer or a log entry that says "open" is still refused.
OPEN = "open"
