"""Every ``Agentgit-*`` trailer name, spelled once.

Trailers are the part of a commit message that agentgit reads back; a name spelled
twice can drift, and a reader would silently stop finding what a writer wrote.
``Trailer`` is a ``StrEnum``, so a member is the string itself: it keys a dict and
compares with what ``git interpret-trailers`` parsed.
"""

from __future__ import annotations

from enum import StrEnum

PREFIX = "Agentgit-"


class Trailer(StrEnum):
    # a session's landing on main
    SESSION = "Agentgit-Session"
    HEAD = "Agentgit-Head"
    OUTCOME = "Agentgit-Outcome"
    TITLE = "Agentgit-Title"
    PIECES = "Agentgit-Pieces"
    TURNS = "Agentgit-Turns"
    COST = "Agentgit-Cost"
    USAGE = "Agentgit-Usage"
    MODEL = "Agentgit-Model"
    ENDED = "Agentgit-Ended"
    REVIEW = "Agentgit-Review"
    NOVELTY = "Agentgit-Novelty"
    # one step on a session branch
    TURN = "Agentgit-Turn"
    TOOL = "Agentgit-Tool"
    CALL = "Agentgit-Call"
    # an experiment session's runs (DESIGN §10): on a run's commit, Experiment, Metric
    # (<name>=<value>), Status and Seconds, and Code (the editable files' digest, so a
    # tree measured before is found); on the baseline's commit, Baseline; on main's
    # commit, Metric (<name>=<best> baseline=<b> noise=<n> runs=<r> kept=<k>)
    EXPERIMENT = "Agentgit-Experiment"
    METRIC = "Agentgit-Metric"
    STATUS = "Agentgit-Status"
    SECONDS = "Agentgit-Seconds"
    CODE = "Agentgit-Code"
    BASELINE = "Agentgit-Baseline"


def is_agentgit(line_or_key: str) -> bool:
    """Whether a trailer key (or a message line) is one of agentgit's."""
    return line_or_key.startswith(PREFIX)
