"""How a session ends: the outcomes, the judgement, and the one way the loop stops.

Every way the agent loop ends is a SessionEnd carrying its judgement: a judging tool
(crystallize raises Keep, abandon raises Discard, in tools.py), a budget spent, the
model refusing, the context full, the model no longer calling tools, replies cut off
again and again. The loop catches them in one place (Agent.run) and returns the
judgement; the caller saves it with the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentgit.core.outcome import Outcome
from agentgit.corpus.formats import NoveltyRecord, novelty_records


@dataclass
class Judgement:
    outcome: str  # Outcome.CRYSTALLIZED or Outcome.ABANDONED
    summary: str
    slugs: list[str] = field(default_factory=list)
    reason: str | None = None
    # Per kept piece (agentgit.novelty): what informed the keep, not part of the verdict,
    # so two judgements that keep the same pieces for the same reasons are equal.
    novelty: list[NoveltyRecord] = field(default_factory=list, compare=False)
    # An experiment session's figures (DESIGN §10), main's Agentgit-Metric: the best, the
    # baseline, the noise, the runs and the keeps.
    metric: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # A plain string: the judgement is saved as JSON and YAML, which know no enums.
        self.outcome = str(Outcome(self.outcome))
        if not all(isinstance(r, NoveltyRecord) for r in self.novelty):
            # Read back from a saved transcript: mappings, taken as far as they can be read.
            self.novelty = novelty_records(self.novelty)

    def record(self) -> dict[str, Any]:
        """The judgement as the transcript saves it (JSON): `Judgement(**record)` again."""
        return {**self.__dict__, "novelty": [r.record() for r in self.novelty]}


class SessionEnd(Exception):  # noqa: N818 - control flow, not an error
    """The loop ends with `judgement()`."""

    def judgement(self) -> Judgement:
        raise NotImplementedError


class _Abandons(SessionEnd):
    """The loop ends without a judgement from the model: abandoned, for a fixed reason."""

    summary = ""
    reason = ""

    def judgement(self) -> Judgement:
        return Judgement(Outcome.ABANDONED, self.summary, reason=self.reason)


class BudgetSpent(_Abandons):
    summary = "The budget ran out before a judgement."
    reason = "budget exhausted"


class Refused(_Abandons):
    summary = "The model declined to continue."
    reason = "the model refused to continue"


class ContextFull(_Abandons):
    # The conversation fills the context window: another request cannot fit, not even a
    # last judging turn.
    summary = "The conversation outgrew the model's context window."
    reason = "the context window is full"


class StoppedCallingTools(_Abandons):
    summary = "The model stopped calling tools."
    reason = "the model stopped calling tools"


class KeptCuttingOff(_Abandons):
    summary = "The model's replies kept running past the output limit."
    reason = "replies kept running past the output limit"
