"""Folding an experiment session's old runs out of the conversation it sends (DESIGN
§10): a night of a hundred runs, or a thousand, must fit the model's context, yet the
transcript keeps every run whole.

At every `every`-th run the turns up to that run's answer are replaced by that run's
own exchange: its call (the turn's thinking dropped) and its answer, now led by a
bounded summary of every run so far (one line each, with its hypothesis). The
orientation before them stays. What is sent is then the orientation, the summary and at
most `every` runs' turns, whatever the count; and nothing changes between two fold
points, so the prefix the API caches is rebuilt once every `every` runs, not at every
turn. The run's output stays inside a tool result, where it came: it is the program's,
data, never a word of the user's. The folded turns' thinking goes with them (a
thinking block is bound to the conversation before it, which the fold changes); the
turns after the fold point were answered to the folded prefix, and keep theirs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

FOLD_EVERY = 10  # runs between two folds
SUMMARY_LINES = 60  # of the folded runs, the most recent shown one a line
HYPOTHESIS_CHARS = 120  # of a run's hypothesis, in its summary line
RUN_TOOL = "run_experiment"
THINKING = ("thinking", "redacted_thinking")


class _Run(NamedTuple):
    message: int  # index of the message holding the run's answer
    block: int  # and of the answer's block in it
    answer: str
    hypothesis: str


def fold(messages: list[dict[str, Any]], every: int = FOLD_EVERY) -> list[dict[str, Any]]:
    """`messages` as sent: the turns up to the last fold point replaced by the runs'
    summary (a new list; the saved conversation is not touched)."""
    runs = _runs(messages)
    folded = (len(runs) // every) * every
    if folded == 0:
        return messages
    last = runs[folded - 1]
    edge = last.message  # the turns after the orientation, up to this answer, fold
    call = messages[edge - 1]  # the assistant turn the answer answers
    kept = [b for b in _blocks(call) if b.get("type") not in THINKING]
    answers = list(messages[edge]["content"])
    answers[last.block] = {**answers[last.block], "content": summary(runs[:folded])}
    return [
        messages[0],
        {**call, "content": kept},
        {**messages[edge], "content": answers},
        *messages[edge + 1 :],
    ]


def summary(runs: list[_Run]) -> str:
    lines = [_line(run) for run in runs]
    shown = lines[-SUMMARY_LINES:]
    more = len(lines) - len(shown)
    return (
        f"[The first {len(runs)} runs, folded: the transcript keeps them whole, and "
        "`agentgit experiments` lists them. The worktree holds the best code; read a "
        "file again before you edit it.]\n"
        + (f"... {more} earlier runs\n" if more else "")
        + "\n".join(shown)
        + f"\n\nThe last run's answer:\n{runs[-1].answer}"
    )


def _line(run: _Run) -> str:
    first = run.answer.splitlines()[0]
    hypothesis = " ".join(run.hypothesis.split())
    if len(hypothesis) > HYPOTHESIS_CHARS:
        hypothesis = hypothesis[: HYPOTHESIS_CHARS - 1] + "…"
    return f"{first} | {hypothesis}" if hypothesis else first


def _runs(messages: list[dict[str, Any]]) -> list[_Run]:
    """The answered runs, in order (an answer that is not a run's, such as a refusal,
    is not one)."""
    hypotheses: dict[str, str] = {}
    runs: list[_Run] = []
    for i, message in enumerate(messages):
        content = message.get("content")
        for j, block in enumerate(content if isinstance(content, list) else []):
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use" and block.get("name") == RUN_TOOL:
                given = block.get("input")
                hypothesis = given.get("hypothesis") if isinstance(given, dict) else None
                hypotheses[str(block.get("id"))] = str(hypothesis or "")
            elif block.get("type") == "tool_result":
                hypothesis = hypotheses.get(str(block.get("tool_use_id")))
                text = _text(block)
                if hypothesis is not None and text.startswith("experiment "):
                    runs.append(_Run(i, j, text, hypothesis))
    return runs


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""
