"""One parse for every figure agentgit reads back from git (DESIGN §2, §9).

Costs, token counts, turns, novelty scores, session ids and heads come back from
trailers and log-entry frontmatter, which anyone who can push to main can write. A
value that is not finite, not in range, or not a sha is refused here (`BadFigure`),
so one forged commit cannot break `map`, `log --json`, `show`, `questions` or the
spend ledger; the readers skip it and say which commit held it. What agentgit writes
is held to the same bounds (`writable_cost`), so it never writes what it would refuse.
"""

from __future__ import annotations

import math
import re

# The bounds are far beyond what a real session records, and far inside what breaks
# a reader: a float that JSON cannot carry, an int that no longer reads as an id.
MAX_COST = 1_000_000.0  # dollars for one session
MAX_COUNT = 10**12  # tokens or turns of one session
MAX_SESSION = 9_999_999  # ids are shown as four digits; seven is room for growth
UNKNOWN = "unknown"  # how a cost agentgit could not price is written

_DIGITS = re.compile(r"[0-9]{1,13}")
_SESSION = re.compile(r"[0-9]{1,7}")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class BadFigure(ValueError):
    """A figure read back from git that is not one agentgit could have written."""


def _real(value: object, what: str) -> float:
    """A finite number from a trailer's text or a frontmatter number."""
    if isinstance(value, bool):
        raise BadFigure(f"{what} {value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value) if not isinstance(value, int) or abs(value) < 10**300 else math.inf
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise BadFigure(f"{what} {value[:40]!r} is not a number") from None
    else:
        raise BadFigure(f"{what} {str(value)[:40]!r} is not a number")
    if not math.isfinite(number):
        raise BadFigure(f"{what} {value!r} is not finite")
    return number


def cost(value: object) -> float | None:
    """Dollars, 0 to MAX_COST; None when it is recorded as unknown (or not at all)."""
    if value is None or value == UNKNOWN:
        return None
    number = _real(value, "cost")
    if not 0 <= number <= MAX_COST:
        raise BadFigure(f"cost {number:g} is out of range")
    return number


def count(value: object, what: str = "count") -> int:
    """A token or turn count: a plain non-negative integer up to MAX_COUNT."""
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise BadFigure(f"{what} {str(value)[:40]!r} is not a whole number")
    if not 0 <= number <= MAX_COUNT:
        raise BadFigure(f"{what} {number} is out of range")
    return number


def unit(value: object, what: str = "score") -> float:
    """A novelty score or a similarity: finite, 0 to 1."""
    number = _real(value, what)
    if not 0 <= number <= 1:
        raise BadFigure(f"{what} {number:g} is out of range")
    return number


def session(value: object) -> int:
    """A session id: a plain positive integer of at most seven digits (`0007` is 7;
    `-3`, `+3`, `3.0` and twenty digits are not ids)."""
    if isinstance(value, str) and _SESSION.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise BadFigure(f"session id {str(value)[:40]!r} is not a plain number")
    if not 1 <= number <= MAX_SESSION:
        raise BadFigure(f"session id {number} is out of range")
    return number


def sha(value: object, what: str = "head") -> str:
    """A full commit id (SHA-1 or SHA-256, lowercase hex)."""
    if isinstance(value, str) and _SHA.fullmatch(value.strip()):
        return value.strip()
    raise BadFigure(f"{what} {str(value)[:40]!r} is not a commit id")


def writable_cost(value: float | None) -> float | None:
    """A cost agentgit is about to record: unknown (None) when a price made it
    non-finite, capped at MAX_COST, so what is written always reads back."""
    if value is None or not math.isfinite(value) or value < 0:
        return None
    return min(value, MAX_COST)


def where(commit: str, problem: BadFigure | str) -> str:
    """The one-line warning for a skipped figure, naming the commit that held it."""
    return f"skipped a figure in commit {commit[:12]}: {problem}"
