"""The tools of an experiment session (DESIGN §10): code beside the journal, questions and
judgement. `read_file`, `write_file`, `edit_file` and `run_experiment` are its own; `note`,
`question`, `search`, `history` and `abandon` are the inquiry's; `crystallize` keeps only
when the metric says so. The draft tools are not offered.

Paths are from the repository's root. A read sees any tracked file; a write only a file
an `editable` glob matches (the evaluator, agentgit.toml, PROGRAM.md and the hooks are
not), and never through a symbolic link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from agentgit.agent.fold import fold
from agentgit.agent.tooldefs import TOOL_DEFINITIONS, _schema
from agentgit.agent.toolinput import ToolError, req_str
from agentgit.agent.tools import Keep, Toolbox, ToolResult
from agentgit.experiment.lab import Lab

_S = {"type": "string"}
_INQUIRY = {t["name"]: t for t in TOOL_DEFINITIONS}
EXPERIMENT_DEFINITIONS: list[dict[str, Any]] = [
    {
        "name": "read_file",
        "description": "Read a tracked file of the repository (path from its root).",
        "input_schema": _schema(
            {"path": {**_S, "description": "from the repository root"}}, ["path"]
        ),
    },
    {
        "name": "write_file",
        "description": "Replace (or create) an editable file with `content` (committed). Only "
        "paths the editable globs match may be written.",
        "input_schema": _schema({"path": _S, "content": _S}, ["path", "content"]),
    },
    {
        "name": "edit_file",
        "description": "Replace one exact occurrence of `old` with `new` in an editable file "
        "(committed).",
        "input_schema": _schema({"path": _S, "old": _S, "new": _S}, ["path", "old", "new"]),
    },
    {
        "name": "run_experiment",
        "description": "Run the metric's command on the code as it stands and judge it: keep "
        "(better than the best by more than the gain), discard, crash or timeout. After "
        "anything but a keep the code goes back to the best so far. One hypothesis per run.",
        "input_schema": _schema(
            {"hypothesis": {**_S, "description": "what this change should do, in one line"}},
            ["hypothesis"],
        ),
    },
    _INQUIRY["note"],
    _INQUIRY["question"],
    _INQUIRY["search"],
    _INQUIRY["history"],
    {
        "name": "crystallize",
        "description": "End the session and keep it: the best code merges to main. Refused "
        "unless the best beats the baseline by more than the gain.",
        "input_schema": _schema(
            {"summary": _S, "slugs": {"type": "array", "items": _S}}, ["summary"]
        ),
    },
    _INQUIRY["abandon"],
]
EXPERIMENT_TOOL_NAMES = tuple(t["name"] for t in EXPERIMENT_DEFINITIONS)
CODE_TOOLS = ("write_file", "edit_file")


@dataclass
class ExperimentToolbox(Toolbox):
    lab: Lab | None = None

    @classmethod
    def for_lab(cls, workspace: Any, settings: Any, lab: Lab) -> ExperimentToolbox:
        box = cls.for_settings(workspace, settings)
        assert isinstance(box, ExperimentToolbox)
        box.lab, box.names, box.allowed = lab, EXPERIMENT_TOOL_NAMES, EXPERIMENT_TOOL_NAMES
        return box

    def definitions(self) -> list[dict[str, Any]]:
        return EXPERIMENT_DEFINITIONS

    def fold(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return fold(messages)

    def _judge(self) -> Lab:
        assert self.lab is not None
        return self.lab

    def _recovered(self, name: str) -> ToolResult | None:
        if not (self.recovering and self.call_id):
            return None
        if name == "run_experiment":
            answer = self._judge().recovered(self.turn, self.call_id)
            return None if answer is None else ToolResult(answer.text, commit=answer.subject)
        if name in CODE_TOOLS:
            subject = self.workspace.step_commit(self.turn, self.call_id)
            if subject is not None:
                return ToolResult(
                    f"{name}: done before an interruption; committed: {subject}", commit=subject
                )
            return None
        return super()._recovered(name)

    # -- code ----------------------------------------------------------------------

    def _path(self, tool: str, raw: str) -> tuple[str, Path]:
        """A path from the repository root, inside the worktree, through no link."""
        pure = PurePosixPath(raw.strip())
        if not raw.strip() or pure.is_absolute() or ".." in pure.parts:
            raise ToolError(f"{tool}: {raw!r} is not a path inside the repository")
        if pure.parts and pure.parts[0] == ".git":
            raise ToolError(f"{tool}: {raw!r} is git's, not the repository's")
        rel = str(pure)
        root = self._judge().worktree
        here = root
        for part in pure.parts:
            here = here / part
            if here.is_symlink():
                raise ToolError(f"{tool}: {rel!r} goes through a symbolic link")
        return rel, root / rel

    def _tool_read_file(self, args: dict[str, Any]) -> ToolResult:
        rel, path = self._path("read_file", req_str(args, "path"))
        lab = self._judge()
        if rel not in lab.repo.tree_files(lab.head()) or not path.is_file():
            raise ToolError(f"read_file: no tracked file {rel!r}")
        data = path.read_bytes()
        try:
            return ToolResult(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise ToolError(f"read_file: {rel!r} is not UTF-8 text") from None

    def _writable(self, tool: str, raw: str) -> tuple[str, Path]:
        rel, path = self._path(tool, raw)
        metric = self._judge().metric
        if not metric.is_editable(rel):
            raise ToolError(
                f"{tool}: {rel!r} is not editable; only {', '.join(metric.editable)} may "
                "change (the evaluator and the rest are read-only)"
            )
        return rel, path

    def _tool_write_file(self, args: dict[str, Any]) -> ToolResult:
        rel, path = self._writable("write_file", req_str(args, "path"))
        content = req_str(args, "content")
        if len(content) > self.max_body_chars:
            raise ToolError(
                f"write_file: content is {len(content):,} characters; the limit is "
                f"{self.max_body_chars:,}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8"))
        return self._committed("write_file", rel, f"wrote {rel}")

    def _tool_edit_file(self, args: dict[str, Any]) -> ToolResult:
        rel, path = self._writable("edit_file", req_str(args, "path"))
        old, new = req_str(args, "old"), req_str(args, "new")
        if not path.is_file():
            raise ToolError(f"edit_file: no file {rel!r}; write_file creates one")
        if not old:
            raise ToolError("edit_file: old is empty")
        text = path.read_text("utf-8")
        count = text.count(old)
        if count != 1:
            raise ToolError(
                f"edit_file: the old text is not in {rel}"
                if count == 0
                else f"edit_file: the old text occurs {count} times; include more context"
            )
        edited = text.replace(old, new, 1)
        if len(edited) > self.max_body_chars:
            raise ToolError(f"edit_file: {rel} would exceed {self.max_body_chars:,} characters")
        path.write_text(edited, "utf-8")
        return self._committed("edit_file", rel, f"edited {rel}")

    def _committed(self, tool: str, rel: str, done: str) -> ToolResult:
        subject = self.workspace.commit_step(
            tool, self.reasoning, self.turn, self.call_id, paths=(rel,)
        )
        return ToolResult(f"{done}; committed: {subject or 'no change'}", commit=subject)

    def _tool_run_experiment(self, args: dict[str, Any]) -> ToolResult:
        hypothesis = req_str(args, "hypothesis").strip()
        if not hypothesis:
            raise ToolError("run_experiment: hypothesis is empty")
        answer = self._judge().run(hypothesis, self.reasoning, self.turn, self.call_id)
        return ToolResult(answer.text, is_error=answer.is_error, commit=answer.subject)

    # -- judging -------------------------------------------------------------------

    def _tool_crystallize(self, args: dict[str, Any]) -> ToolResult:
        summary = req_str(args, "summary").strip()
        lab = self._judge()
        if not lab.improved():
            raise ToolError(
                f"crystallize: refused: the best does not beat the baseline by more than the "
                f"gain ({lab.verdict_line()}); run more experiments or abandon"
            )
        raise Keep([], summary)
