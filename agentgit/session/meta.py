"""A session's metadata (DESIGN §2): what its claim recorded and what its stages add, as
one typed record with its defaults here. The transcript holds it as the top-level keys
beside the agent's state; `from_dict` and `to_dict` are the only code that spells them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agentgit.agent.ending import Judgement

TITLE_CHARS = 120
# The settings a session keeps for a resume: how far it may go, and how it thinks.
BUDGET_SETTINGS = ("max_turns", "max_tokens", "max_cost", "max_minutes")
THINKING_SETTINGS = ("thinking", "thinking_display", "effort", "turn_max_tokens")


@dataclass
class SessionMeta:
    session: int
    slug: str
    started: str  # ISO 8601, UTC: the session's clock (its `today`) comes from it
    base: str | None = None  # the commit it started from
    topic: str | None = None
    model: str = ""
    model_spec: str | None = None  # what --model said (scripted:FILE too): resume needs no flag
    # The settings it began with, by Settings field name: a resume keeps them.
    budget: dict[str, Any] = field(default_factory=dict)  # BUDGET_SETTINGS
    thinking: dict[str, Any] = field(default_factory=dict)  # THINKING_SETTINGS
    review: str | None = None  # how it ends: a resumed --review pr session goes to review
    push: bool | None = None
    experiment: bool = False  # a metric session (DESIGN §10): its worktree is whole
    title: str = ""  # none given: the topic's, or "Session N" (__post_init__)
    status: str = "running"  # running, interrupted, judged
    system: str | None = None  # the system prompt, once the loop began
    ended: str | None = None
    judgement: Judgement | None = None  # saved before the judging commit: resume makes it
    # Keys this code does not know (a newer version wrote them): kept for the next save.
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.title = (
            self.title or (self.topic or f"Session {self.session:04d}").strip()[:TITLE_CHARS]
        )

    @property
    def resume_spec(self) -> str | None:
        """The model a resume asks for when not told: as --model said it."""
        return self.model_spec or self.model or None

    def began_with(self) -> dict[str, Any]:
        """The settings a resume starts from (Settings field -> value; None: not recorded)."""
        return {
            "model": self.resume_spec,
            **{k: self.budget.get(k) for k in BUDGET_SETTINGS},
            "review": self.review,
            "push": self.push,
            **self.thinking,
        }

    def to_dict(self) -> dict[str, Any]:
        """As the transcript holds it: the keys a claim writes always, the others once set,
        in the order they are written."""
        data: dict[str, Any] = {
            "session": self.session,
            "slug": self.slug,
            "base": self.base,
            "topic": self.topic,
            "model": self.model,
            "model_spec": self.model_spec,
            "started": self.started,
            "budget": self.budget,
            "thinking": self.thinking,
            "review": self.review,
            "push": self.push,
        }
        if self.experiment:
            data["experiment"] = True
        data["title"] = self.title
        data["status"] = self.status
        for key in ("system", "ended"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.judgement is not None:
            data["judgement"] = self.judgement.record()
        return {**data, **self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionMeta:
        """The record a transcript's top-level keys (the agent's state left out) hold; a
        key missing takes its default. ValueError if one is of the wrong kind."""
        missing = [k for k in ("session", "slug", "started") if k not in data]
        if missing:
            raise ValueError(f"no {missing[0]}")
        values: dict[str, Any] = {}
        for name, kinds in _KINDS.items():
            if name not in data:
                continue
            value = data[name]
            if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
                raise ValueError(f"{name} is a {type(value).__name__}")
            values[name] = value
        date.fromisoformat(values["started"][:10])  # ValueError: the clock is unreadable
        judgement = data.get("judgement")
        if judgement is not None:
            values["judgement"] = _judgement(judgement)
        extra = {k: v for k, v in data.items() if k not in _KNOWN}
        return cls(**values, extra=extra)


def _judgement(data: Any) -> Judgement:
    if not isinstance(data, dict):
        raise ValueError("judgement is not an object")
    known = {f.name for f in dataclasses.fields(Judgement)}
    try:
        return Judgement(**{k: v for k, v in data.items() if k in known})
    except (TypeError, ValueError):  # no outcome or summary, or an outcome unknown
        raise ValueError("judgement is malformed") from None


_OPTIONAL_STR = (str, type(None))
_KINDS: dict[str, tuple[type, ...]] = {
    "session": (int,),
    "slug": (str,),
    "started": (str,),
    "base": _OPTIONAL_STR,
    "topic": _OPTIONAL_STR,
    "model": (str,),
    "model_spec": _OPTIONAL_STR,
    "budget": (dict,),
    "thinking": (dict,),
    "review": _OPTIONAL_STR,
    "push": (bool, type(None)),
    "experiment": (bool,),
    "title": (str,),
    "status": (str,),
    "system": _OPTIONAL_STR,
    "ended": _OPTIONAL_STR,
}
_KNOWN = {*_KINDS, "judgement"}
