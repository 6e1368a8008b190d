"""Settings: flags, then environment (AGENTGIT_*), then agentgit.toml, then defaults."""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from agentgit.core.errors import UsageError
from agentgit.core.metric import Metric
from agentgit.core.metric import parse as parse_metric

DEFAULT_MODEL = "claude-sonnet-5-5"
REVIEW_MODES = ("merge", "pr", "branch")
# Settings with a fixed set of values (the thinking ones: agentgit.models.capabilities).
CHOICES: dict[str, tuple[str, ...]] = {
    "review": REVIEW_MODES,
    "thinking": ("adaptive", "between_tools"),
    "thinking_display": ("summarized", "omitted"),
    "effort": ("low", "medium", "high", "xhigh", "max"),
    # What the terrain's regions measure (DESIGN §8): shared words, or embeddings (the
    # optional extra agentgit[embeddings]).
    "terrain_measure": ("lexical", "embeddings"),
    # How search ranks (agentgit.landscape.fused): BM25 alone, or BM25 fused with the
    # extra's embeddings; auto is fused when the extra is installed.
    "search": ("auto", "bm25", "fused"),
}


# GitHub's author_association values (the REST API's), and the ones whose review
# comments are quoted by default (DESIGN §11): the repository's own people.
AUTHOR_ASSOCIATIONS = (
    "OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR",
    "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "MANNEQUIN", "NONE",
)  # fmt: skip
REVIEW_TRUST = ("OWNER", "MEMBER", "COLLABORATOR")

# Sessions that pursue a question without a kept answer before it is possibly dead
# (DESIGN §8): the default wherever a question's state is derived.
DEAD_AFTER = 3


@dataclass
class Settings:
    model: str = DEFAULT_MODEL
    max_turns: int = 30
    max_tokens: int = 600_000  # input + output tokens over the whole session
    max_cost: float = 1.0  # USD
    max_minutes: float = 30.0
    # Spend over days (agentgit/ledger.py), USD; 0 is off.
    max_cost_day: float = 0.0
    max_cost_week: float = 0.0
    review: str = "merge"
    max_nudges: int = 2
    # Output room of one model turn, thinking included; 0: sized for the model and effort
    # (agentgit.models.capabilities).
    turn_max_tokens: int = 0
    # The orientation's bound, whatever the size of the history.
    orient_max_chars: int = 24_000
    orient_recent_log: int = 12
    # Bounds on what the model may write and what a tool returns.
    max_body_chars: int = 60_000
    max_result_chars: int = 12_000
    reasoning_chars: int = 4_000
    search_limit: int = 8
    search: str = "auto"
    dead_after: int = DEAD_AFTER
    terrain_measure: str = "lexical"
    merge_retries: int = 10
    # Model access (the Anthropic provider reads these).
    max_retries: int = 4
    timeout: float = 600.0
    web_search: int = 0  # max_uses; 0 is off
    web_fetch: int = 0
    # Thinking on the models that take it: adaptive thinking with its text displayed, so
    # the reasoning reaches the commits; medium effort keeps a session's cost sane.
    thinking: str = "adaptive"
    thinking_display: str = "summarized"
    effort: str = "medium"
    remote: str = "origin"
    push: bool = True
    # Seconds a start (the id claim) or a landing may spend on the network in all.
    network_timeout: float = 60.0
    # A draft whose novelty (agentgit.novelty) is below this is a near-duplicate that
    # crystallize refuses once; auto: calibrated from the corpus's closest pair.
    novelty_min: str | float = "auto"
    pricing: dict[str, Any] = field(default_factory=dict)
    # Whose review comments `sync` quotes (DESIGN §11); others are only counted.
    review_trust: list[str] = field(default_factory=lambda: list(REVIEW_TRUST))
    # [metric] (DESIGN §10): set, sessions are experiment sessions (agentgit/experiment).
    metric: Metric | None = None

    def budget_line(self) -> str:
        return (
            f"{self.max_turns} turns, {self.max_tokens:,} tokens, "
            f"${self.max_cost:.2f}, {self.max_minutes:g} minutes"
        )


_FIELDS = {f.name: f for f in fields(Settings)}
_DEFAULTS = Settings()


@dataclass(frozen=True)
class Rule:
    """What a setting accepts beyond its type (the default's): numbers at least ``low``
    (more than it when ``above``), text one of ``choices`` when there are any. A setting
    with no rule of its own gets ``Rule()``: any finite number from 0 up, any text."""

    low: float = 0
    above: bool = False
    choices: tuple[str, ...] = ()
    high: float | None = None  # numbers at most this
    auto: bool = False  # the text "auto" or a number


# One table for every source (flag, environment, file), so they cannot disagree.
RULES: dict[str, Rule] = {
    "max_turns": Rule(low=1),
    "max_tokens": Rule(low=1),
    "max_cost": Rule(above=True),
    "max_minutes": Rule(above=True),
    **{name: Rule(choices=values) for name, values in CHOICES.items()},
    "orient_max_chars": Rule(low=1),
    "max_body_chars": Rule(low=1),
    "max_result_chars": Rule(low=1),
    "search_limit": Rule(low=1),
    "dead_after": Rule(low=1),
    "merge_retries": Rule(low=1),
    "timeout": Rule(above=True),
    "novelty_min": Rule(high=1, auto=True),
}

# AGENTGIT_* variables that are not settings but are read elsewhere: AGENTGIT_DEBUG
# (cli.py: tracebacks) and the test seams, all named AGENTGIT_TEST_* (faults.py).
OTHER_VARIABLES = ("AGENTGIT_DEBUG",)
TEST_VARIABLE_PREFIX = "AGENTGIT_TEST_"
ENV_PREFIX = "AGENTGIT_"
# agentgit.toml: settings at the top level or in [session]; [pricing] is its own table.
TOML_TABLES = ("session",)

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def coerce(name: str, value: Any) -> Any:
    """``value`` as setting ``name`` holds it; ValueError says what is wrong with it."""
    if name == "metric":
        return value if isinstance(value, Metric) else parse_metric(value)
    default = getattr(_DEFAULTS, name)
    rule = RULES.get(name, Rule())
    if rule.auto:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        number = _number(value, whole=False, kind="auto or a number")
        _in_range(number, rule)
        return number
    if isinstance(default, bool):
        return _bool(value)
    if isinstance(default, int | float):
        number = _number(value, whole=isinstance(default, int))
        _in_range(number, rule)
        return number
    if isinstance(default, list):
        return _associations(value)
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ValueError("must be a table")
        return _prices(value) if name == "pricing" else value
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {value!r}")
    if rule.choices and value not in rule.choices:
        raise ValueError(f"must be one of {', '.join(rule.choices)}, not {value!r}")
    return value


def _prices(tables: dict[str, Any]) -> dict[str, Any]:
    """`[pricing."<model>"]` tables: each rate a finite, non-negative number, so a
    price of `nan` or "free" is refused here, before a session claims an id, and not by
    an internal error once it runs (which key a table may have, models.pricing says)."""
    for model, table in tables.items():
        if not isinstance(table, dict):
            raise ValueError(f'."{model}" must be a table of prices')
        for key, value in table.items():
            try:
                number = _number(value, whole=False)
            except ValueError as exc:
                raise ValueError(f'."{model}".{key} {exc}') from None
            if number < 0:
                raise ValueError(f'."{model}".{key} must be at least 0, not {number:g}')
    return tables


def _associations(value: Any) -> list[str]:
    """review_trust: a list of author_association values, or them comma-separated (as an
    environment variable or a flag gives them); any case."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"must be a list of {', '.join(AUTHOR_ASSOCIATIONS)}, not {value!r}")
    found = [item.strip().upper() for item in items if item.strip()]
    unknown = [item for item in found if item not in AUTHOR_ASSOCIATIONS]
    if unknown:
        raise ValueError(
            f"must name GitHub author associations ({', '.join(AUTHOR_ASSOCIATIONS)}), "
            f"not {unknown[0][:40]!r}"
        )
    return list(dict.fromkeys(found))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"must be true or false, not {value!r}")


def _number(value: Any, whole: bool, kind: str = "") -> int | float:
    kind = kind or ("a whole number" if whole else "a number")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"must be {kind}, not {value!r}")
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        raise ValueError(f"must be {kind}, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number, not {value!r}")
    if not whole:
        return float(number)
    if number != int(number):
        raise ValueError(f"must be {kind}, not {value!r}")
    return int(number)


def _in_range(number: float, rule: Rule) -> None:
    if rule.above and number <= rule.low:
        raise ValueError(f"must be more than {rule.low:g}, not {number:g}")
    if number < rule.low:
        raise ValueError(f"must be at least {rule.low:g}, not {number:g}")
    if rule.high is not None and number > rule.high:
        raise ValueError(f"must be at most {rule.high:g}, not {number:g}")


def _checked(name: str, value: Any, source: str) -> Any:
    try:
        return coerce(name, value)
    except ValueError as exc:
        raise UsageError(f"{source}: {name} {exc}") from None


def _unknown(key: str, where: str, known: Iterable[str]) -> UsageError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return UsageError(f"{where}{key} is not a setting{hint}")


def read_toml(top: Path) -> dict[str, Any]:
    """agentgit.toml's settings, flat; an unknown key or table is a UsageError."""
    path = top / "agentgit.toml"
    if not path.exists():
        return {}
    try:
        # utf-8-sig: a byte-order mark (some Windows editors write one) is not a key
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"agentgit.toml: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key in TOML_TABLES:
            for inner, item in value.items():
                name = _known_key(inner, f"agentgit.toml [{key}]")
                if name in flat:
                    raise _twice(name, f"at the top level and in [{key}]")
                flat[name] = item
        else:
            name = _known_key(key, "agentgit.toml")
            if name in flat:  # after [session] (a table) or as max-turns and max_turns
                raise _twice(name, "twice")
            flat[name] = value
    return flat


def _twice(name: str, where: str) -> UsageError:
    """One setting given twice (at the top level and in [session]): which one wins
    would be a guess."""
    return UsageError(f"agentgit.toml: {name} is set {where}")


def _known_key(key: str, source: str) -> str:
    name = key.replace("-", "_")
    if name not in _FIELDS:
        known = [*_FIELDS, *TOML_TABLES] if source == "agentgit.toml" else _FIELDS
        raise _unknown(key, f"{source}: ", known)
    return name


def _check_environment(env: Mapping[str, str]) -> None:
    known = {f"{ENV_PREFIX}{name.upper()}" for name in _FIELDS}
    for variable, value in env.items():
        if (
            not variable.startswith(ENV_PREFIX)
            or value == ""
            or variable in known
            or variable in OTHER_VARIABLES
            or variable.startswith(TEST_VARIABLE_PREFIX)
        ):
            continue
        raise _unknown(variable, "the environment variable ", known)


def load(
    top: Path | None, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    env = os.environ if env is None else env
    _check_environment(env)
    values: dict[str, Any] = {}
    for name, value in (read_toml(top) if top else {}).items():
        values[name] = _checked(name, value, "agentgit.toml")
    for name in _FIELDS:
        variable = f"{ENV_PREFIX}{name.upper()}"
        raw = env.get(variable)
        if raw not in (None, ""):
            values[name] = _checked(name, raw, variable)
    for name, value in (flags or {}).items():
        if value is not None and name in _FIELDS:
            values[name] = _checked(name, value, f"--{name.replace('_', '-')}")
    settings = Settings(**values)
    if settings.thinking == "between_tools" and settings.effort in ("xhigh", "max"):
        raise UsageError(
            f"thinking = between_tools works at effort low, medium or high, "
            f"not {settings.effort}: use thinking = adaptive for that effort"
        )
    return settings
