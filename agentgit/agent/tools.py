"""Running the tools the model calls (DESIGN §3): `Toolbox`, and how a session ends.

A tool never raises for bad input: it answers with an error result the model can
read, and the session goes on. The two judging tools end the session by raising
`Keep` or `Discard` (control flow through exceptions that carry the outcome).
Nothing outside `corpus/` is ever read or written. The tools know no git: they read
through the Workspace's view of corpus/ (a session's tree in git objects, or a plain
directory) and write drafts and the journal into its corpus directory. What the model
is told the tools are is `agentgit.tooldefs`; checking its input, `agentgit.toolinput`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from agentgit.agent.ending import Judgement, SessionEnd
from agentgit.agent.tooldefs import (
    JUDGE_TOOLS,
    LIST_PAGE,
    TOOL_DEFINITIONS,
    TOOL_NAMES,
    WRITING_TOOLS,
)
from agentgit.agent.toolinput import (
    ToolError,
    in_corpus,
    is_file,
    linked,
    opt_str,
    plain,
    req_str,
    resolve_path,
)
from agentgit.core.errors import CorpusError
from agentgit.core.outcome import Outcome
from agentgit.core.scrub import clean_line, scrub_text, secrets_from_env
from agentgit.core.settings import DEAD_AFTER, Settings
from agentgit.corpus import formats, journal, loading
from agentgit.corpus.search import Passage
from agentgit.corpus.view import CorpusView, decode
from agentgit.landscape import fused, novelty, questions, similarity

MAX_OVERLAP = 1_000  # characters of crystallize's overlap the record keeps


class Keep(SessionEnd):
    """crystallize: the model judged that these drafts hold."""

    def __init__(
        self, slugs: list[str], summary: str, novelty: list[formats.NoveltyRecord] | None = None
    ) -> None:
        super().__init__(summary)
        self.slugs, self.summary = slugs, summary
        self.novelty = novelty or []  # per kept piece, as novelty measured it

    def judgement(self) -> Judgement:
        return Judgement(Outcome.CRYSTALLIZED, self.summary, slugs=self.slugs, novelty=self.novelty)


class Discard(SessionEnd):
    """abandon: the model judged that nothing crystallized, and why."""

    def __init__(self, reason: str, summary: str) -> None:
        super().__init__(summary)
        self.reason, self.summary = reason, summary

    def judgement(self) -> Judgement:
        return Judgement(Outcome.ABANDONED, self.summary, reason=self.reason)


@dataclass
class ToolResult:
    text: str
    is_error: bool = False
    commit: str | None = None  # the exploration commit's subject, when the step made one


class Workspace(Protocol):
    """What the tools need from a session: a view of its corpus to read, its corpus
    directory to write drafts and the journal in, and a way to commit them."""

    session: int
    today: date

    @property
    def corpus_dir(self) -> Path: ...
    @property
    def view(self) -> CorpusView: ...

    def commit_step(
        self, tool: str, reasoning: str, turn: int, call: str = "", paths: tuple[str, ...] = ()
    ) -> str | None: ...
    def step_commit(self, turn: int, call: str) -> str | None: ...
    def search(self, query: str, limit: int) -> list[Passage]: ...
    def search_files(self) -> dict[str, str]:
        """What search ranks: path relative to corpus/ -> the file's git blob id."""
        ...

    def history(self, path: str) -> str: ...
    def journal_path(self) -> Path: ...
    def start_journal(self) -> None: ...
    def main_pieces(self) -> similarity.Pieces: ...
    @property
    def derived_store(self) -> loading.Memo | None:
        """Where what is derived from a piece is kept between sessions (none: parse
        every time)."""
        ...


@dataclass
class Toolbox:
    workspace: Workspace
    max_body_chars: int = 60_000
    max_result_chars: int = 12_000
    search_limit: int = 8
    search_mode: str = "bm25"  # or "fused": agentgit.landscape.fused
    novelty_min: str | float = "auto"
    dead_after: int = DEAD_AFTER  # sessions pursuing a question without an answer
    reasoning: str = ""
    turn: int = 0
    allowed: tuple[str, ...] = TOOL_NAMES
    names: tuple[str, ...] = TOOL_NAMES  # the tools this toolbox has (an experiment's differ)
    call_id: str = ""  # the tool_use being run: its commit names it (Agentgit-Call)
    recovering: bool = False  # finishing a turn a stop cut short (see _recovered)
    _written: set[str] = field(default_factory=set)
    _seen: CorpusView | None = None  # the workspace's view, fetched once per call
    _fused: fused.FusedSearch | None = field(default=None, repr=False)
    # The questions as main's log left them when the session started: read once, as
    # the session never changes another session's entry.
    asked: dict[str, questions.Question] | None = field(default=None, repr=False)

    @classmethod
    def for_settings(cls, workspace: Workspace, settings: Settings) -> Toolbox:
        """The toolbox a session's settings bound (what the model may write, what a tool
        returns, how many passages a search shows)."""
        return cls(
            workspace,
            max_body_chars=settings.max_body_chars,
            max_result_chars=settings.max_result_chars,
            search_limit=settings.search_limit,
            search_mode=fused.mode(settings.search),
            novelty_min=settings.novelty_min,
            dead_after=settings.dead_after,
        )

    def definitions(self) -> list[dict[str, Any]]:
        return TOOL_DEFINITIONS

    def fold(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The conversation as sent (an experiment session folds its old runs)."""
        return messages

    def call(
        self, name: str, tool_input: Any, reasoning: str = "", call_id: str = ""
    ) -> ToolResult:
        """Run one tool call. Keep/Discard propagate; everything else is a result."""
        self.call_id = call_id
        self._seen = None
        recovered = self._recovered(name)
        if recovered is not None:
            return recovered
        # git refuses a commit message with a NUL byte or a lone surrogate: the model's
        # prose must not be able to make a step fail.
        # It goes into a commit message: nothing secret may (agentgit.scrub).
        self.reasoning = (
            scrub_text(str(reasoning).replace("\0", ""), secrets_from_env())
            .encode("utf-8", "replace")
            .decode("utf-8")
        )
        try:
            if name not in self.names:
                raise ToolError(f"unknown tool {name!r}; tools: {', '.join(self.names)}")
            if name not in self.allowed:
                raise ToolError(f"{name} is not available now; call {' or '.join(self.allowed)}")
            if not isinstance(tool_input, dict):
                raise ToolError(f"{name}: input must be a JSON object")
            result = getattr(self, f"_tool_{name}")(tool_input)
        except ToolError as exc:
            result = ToolResult(str(exc), is_error=True)
        except CorpusError as exc:
            result = ToolResult(f"{name}: {exc.message}", is_error=True)
        except UnicodeError:
            # A file a person put in the corpus that is not text, or a value holding a
            # lone surrogate (JSON can spell one) that cannot be written as UTF-8.
            result = ToolResult(f"{name}: text that is not valid UTF-8", is_error=True)
        except OSError as exc:
            # A name too long for the file system, a file gone mid-step: the model's
            # problem to route around, never the end of the session. No absolute path.
            result = ToolResult(f"{name}: {exc.strerror or type(exc).__name__}", is_error=True)
        # Errors too: they quote the model's input, which may be a 60,000-character path.
        return self._bounded(result)

    def _recovered(self, name: str) -> ToolResult | None:
        """A step that already made its commit before the process stopped (killed
        between the commit and the saved transcript): answered from that commit, never
        run twice. Only the writing tools commit; reading ones are simply run again."""
        if not (self.recovering and self.call_id and name in WRITING_TOOLS):
            return None
        subject = self.workspace.step_commit(self.turn, self.call_id)
        if subject is None:
            return None
        return ToolResult(
            f"{name}: done before an interruption; committed: {subject}", commit=subject
        )

    def _bounded(self, result: ToolResult) -> ToolResult:
        if len(result.text) > self.max_result_chars:
            cut = self.max_result_chars
            result.text = (
                result.text[:cut] + f"\n[…cut at {cut:,} of {len(result.text):,} characters]"
            )
        return result

    # -- reading -------------------------------------------------------------------

    def _tool_list_pieces(self, args: dict[str, Any]) -> ToolResult:
        tag = opt_str(args, "tag")
        offset = args.get("offset", 0)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ToolError("list_pieces: offset must be an integer, 0 or more")
        root = self._view()
        # In a plain pieces/, only a link can lead out: the rest need no resolving.
        plain = root.kind("pieces") == "dir"
        slugs = [
            s
            for s in loading.list_piece_slugs(root)
            if (plain and root.kind(f"pieces/{s}.md") != "link")
            or in_corpus(root, f"pieces/{s}.md")
        ]
        memo = self.workspace.derived_store
        if tag:
            # Every piece's tags are needed: from the cards kept by blob id, only the
            # pieces new since the last listing are read.
            wanted = tag.lower()
            pieces, problems = loading.piece_cards(root, slugs, memo, naming=wanted)
            pieces = [p for p in pieces if wanted in p.tags]
            total, pieces = len(pieces), pieces[offset : offset + LIST_PAGE]
        else:
            total = len(slugs)
            pieces, problems = loading.piece_cards(root, slugs[offset : offset + LIST_PAGE], memo)
        lines = [
            f"{p.slug} — {_clip(p.title, formats.MAX_TITLE)}"
            + (f" — {_clip(p.summary, formats.MAX_SUMMARY)}" if p.summary else "")
            + (f" [{_clip(', '.join(p.tags), formats.MAX_SUMMARY)}]" if p.tags else "")
            for p in pieces
        ]
        lines += [f"(skipped, malformed: {problem})" for problem in problems]
        if not lines:
            if offset and total:
                return ToolResult(f"no pieces past {offset}: there are {total}")
            return ToolResult("no pieces" + (f" tagged {tag!r}" if tag else "") + " yet")
        if total > offset + LIST_PAGE:
            lines.append(
                f"[{offset + 1}–{offset + LIST_PAGE} of {total}; list_pieces with "
                f"offset {offset + LIST_PAGE} for more]"
            )
        return ToolResult("\n".join(lines))

    def _tool_read(self, args: dict[str, Any]) -> ToolResult:
        rel, target = resolve_path(self._view(), req_str(args, "path"))
        view = self._view()
        if view.kind(target) != "file":
            raise ToolError(f"read: no file {rel!r} in the corpus")
        try:
            return ToolResult(decode(view.read(target)))
        except UnicodeDecodeError:
            raise ToolError(f"read: {rel!r} is not UTF-8 text") from None

    def _tool_search(self, args: dict[str, Any]) -> ToolResult:
        query = req_str(args, "query").strip()
        if not query:
            raise ToolError("search: query is empty")
        limit = args.get("limit", self.search_limit)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
            raise ToolError("search: limit must be an integer from 1 to 50")
        if self.search_mode == "fused":
            self._fused = self._fused or fused.FusedSearch(self.workspace.derived_store)
            files, read = self.workspace.search_files(), self._view().read_many
            passages = self._fused.search(files, read, self.workspace.search, query, limit)
        else:
            passages = self.workspace.search(query, limit)
        if not passages:
            return ToolResult(f"no passages match {query!r}")
        return ToolResult(
            "\n\n".join(f"{p.path}:{p.line} (score {p.score:.2f})\n{p.text}" for p in passages)
        )

    def _tool_history(self, args: dict[str, Any]) -> ToolResult:
        rel, _ = resolve_path(self._view(), req_str(args, "path"))
        text = self.workspace.history(rel)
        return ToolResult(text or f"no history for {rel!r}")

    # -- writing -------------------------------------------------------------------

    def _tool_write_draft(self, args: dict[str, Any]) -> ToolResult:
        slug = formats.validate_slug(req_str(args, "slug"))
        body = req_str(args, "body")
        if len(body) > self.max_body_chars:
            raise ToolError(
                f"write_draft: body is {len(body):,} characters; the limit is "
                f"{self.max_body_chars:,}"
            )
        # A title is shown by `log`, `show` and pull requests: no control sequence in it.
        meta: dict[str, Any] = {"title": clean_line(req_str(args, "title"))}
        if "summary" in args:
            meta["summary"] = args["summary"]
        if "tags" in args:
            meta["tags"] = args["tags"]
        existing = self._existing_piece(slug)
        meta = formats.normalise_piece_meta(
            meta, today=self.workspace.today, session=self.workspace.session, existing=existing
        )
        path = plain(self.workspace.corpus_dir, f"drafts/{slug}.md")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Encoded before the file is opened, so a value that cannot be written leaves the
        # old draft whole rather than truncated.
        data = formats.render_piece(meta, body).encode("utf-8")
        path.write_bytes(data)
        subject = self.workspace.commit_step("write_draft", self.reasoning, self.turn, self.call_id)
        kind = "revision of pieces/" if existing else ""
        return ToolResult(
            f"wrote drafts/{slug}.md ({kind}{slug if kind else 'new draft'}); "
            f"committed: {subject or 'no change'}",
            commit=subject,
        )

    def _tool_edit_draft(self, args: dict[str, Any]) -> ToolResult:
        slug = formats.validate_slug(req_str(args, "slug"))
        old, new = req_str(args, "old"), req_str(args, "new")
        path = plain(self.workspace.corpus_dir, f"drafts/{slug}.md")
        if not path.is_file():
            raise ToolError(f"edit_draft: no draft {slug!r}; write_draft creates one")
        if not old:
            raise ToolError("edit_draft: old is empty")
        text = path.read_text(encoding="utf-8")
        count = text.count(old)
        if count == 0:
            raise ToolError(f"edit_draft: the old text is not in drafts/{slug}.md")
        if count > 1:
            raise ToolError(f"edit_draft: the old text occurs {count} times; include more context")
        edited = text.replace(old, new, 1)
        if len(edited) > self.max_body_chars + 4_000:
            raise ToolError(
                f"edit_draft: the draft would exceed {self.max_body_chars:,} characters"
            )
        try:
            formats.parse_piece(edited, f"drafts/{slug}.md")
        except CorpusError as exc:
            raise ToolError(f"edit_draft: the edit would break the draft: {exc.message}") from None
        path.write_text(edited, encoding="utf-8")
        subject = self.workspace.commit_step("edit_draft", self.reasoning, self.turn, self.call_id)
        return ToolResult(
            f"edited drafts/{slug}.md; committed: {subject or 'no change'}", commit=subject
        )

    def _tool_note(self, args: dict[str, Any]) -> ToolResult:
        text = req_str(args, "text").strip()
        if not text:
            raise ToolError("note: text is empty")
        if len(text) > self.max_body_chars:
            raise ToolError(f"note: text is over {self.max_body_chars:,} characters")
        path = self.workspace.journal_path()
        plain(self.workspace.corpus_dir, str(path.relative_to(self.workspace.corpus_dir)))
        self.workspace.start_journal()
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\n{journal.neutral(text)}\n")
        subject = self.workspace.commit_step("note", self.reasoning, self.turn, self.call_id)
        return ToolResult(f"noted in the journal; committed: {subject}", commit=subject)

    def _tool_question(self, args: dict[str, Any]) -> ToolResult:
        action = req_str(args, "action").strip()
        qid = formats.validate_slug(req_str(args, "id"))
        path = self.workspace.journal_path()
        rel = str(path.relative_to(self.workspace.corpus_dir))
        plain(self.workspace.corpus_dir, rel)
        entry = formats.parse_log_entry(path.read_text("utf-8"), rel) if path.is_file() else None
        mine = {q["id"]: q for q in (entry.questions if entry else [])}
        if self.asked is None:
            self.asked = questions.before_session(
                self._view(), self.workspace.session, self.dead_after
            )
        prior = self.asked.get(qid)
        step = questions.step(
            action,
            qid,
            text=" ".join((opt_str(args, "text") or "").split()),
            why=" ".join((opt_str(args, "why") or "").split()),
            pieces=self._answering_pieces(args.get("pieces")) if action == "answer" else [],
            prior=prior,
            mine=mine.get(qid),
        )
        record = formats.normalise_question(step.record)
        if entry is None:  # the first step of the session to write the journal
            self.workspace.start_journal()
            entry = formats.parse_log_entry(path.read_text("utf-8"), rel)
        entry.questions = [q for q in entry.questions if q["id"] != qid] + [record]
        entry.body = f"{entry.body.rstrip()}\n\n{step.line}\n"
        path.write_text(formats.render_log_entry(entry), "utf-8")
        subject = self.workspace.commit_step("question", self.reasoning, self.turn, self.call_id)
        return ToolResult(
            f"question {qid}: {record['status']}; committed: {subject}.{step.hint}", commit=subject
        )

    def _answering_pieces(self, value: object) -> list[str]:
        """The slugs of an answer, each a piece on main or a draft of this session."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise ToolError("question: answer needs pieces, a non-empty list of piece slugs")
        slugs = list(dict.fromkeys(formats.validate_slug(s) for s in value))
        root, view = self.workspace.corpus_dir, self._view()
        missing = [
            s
            for s in slugs
            if not (in_corpus(view, f"pieces/{s}.md") and is_file(view, f"pieces/{s}.md"))
            and not (not linked(root, f"drafts/{s}.md") and (root / "drafts" / f"{s}.md").is_file())
        ]
        if missing:
            raise ToolError(
                f"question: no piece or draft {', '.join(missing)}; answer with pieces on main "
                "or drafts of this session"
            )
        return slugs

    # -- judging -------------------------------------------------------------------

    def _tool_crystallize(self, args: dict[str, Any]) -> ToolResult:
        slugs = args.get("slugs")
        if isinstance(slugs, str):
            slugs = [slugs]
        if not isinstance(slugs, list) or not slugs:
            raise ToolError("crystallize: slugs must be a non-empty list of draft slugs")
        checked = [formats.validate_slug(s) for s in slugs]
        root = self.workspace.corpus_dir
        missing = [s for s in checked if not plain(root, f"drafts/{s}.md").is_file()]
        if missing:
            raise ToolError(f"crystallize: no draft {', '.join(missing)}; write_draft first")
        texts = {}
        for slug in dict.fromkeys(checked):
            draft = f"drafts/{slug}.md"
            texts[slug] = (self._drafts_dir() / f"{slug}.md").read_text("utf-8")
            formats.parse_piece(texts[slug], draft)
        summary = journal.summary(req_str(args, "summary"))
        overlap = clean_line(opt_str(args, "overlap") or "", secrets_from_env())[:MAX_OVERLAP]
        found = novelty.safe_measure(self.workspace.main_pieces(), texts, self.novelty_min)
        near = [n for n in found if n.near_duplicate]
        # The last turn may only judge: a refusal there would end the session abandoned,
        # and the score never keeps or discards by itself. The record shows the score.
        if near and not overlap and set(self.allowed) - set(JUDGE_TOOLS):
            raise ToolError(
                "\n".join(novelty.refusal(n, self._title(n.record.nearest)) for n in near)
            )
        # The overlap is what the near-duplicates say beyond their neighbours (all of
        # the kept pieces', when none is one).
        kept = [
            replace(n.record, overlap=overlap or None) if n.near_duplicate or not near else n.record
            for n in found
        ]
        raise Keep(list(texts), summary, kept)

    def _tool_abandon(self, args: dict[str, Any]) -> ToolResult:
        reason = req_str(args, "reason").strip()
        if not reason:
            raise ToolError("abandon: reason is empty")
        raise Discard(" ".join(reason.split())[:300], journal.summary(req_str(args, "summary")))

    # -- helpers -------------------------------------------------------------------

    def _view(self) -> CorpusView:
        # One per call: a session's view asks git where its head is, and list_pieces
        # checks every one of 10,000 slugs against it.
        if self._seen is None:
            self._seen = self.workspace.view
        return self._seen

    def _title(self, slug: str | None) -> str | None:
        piece = self._existing_piece(slug) if slug else None
        return piece.title if piece else None

    def _drafts_dir(self) -> Path:
        return self.workspace.corpus_dir / "drafts"

    def _existing_piece(self, slug: str) -> formats.Piece | None:
        pieces, _ = loading.load_pieces(self._view(), [slug])
        # A link out of the corpus, a broken human-written piece: the revision starts afresh.
        return pieces[0] if pieces else None


def _clip(text: str, limit: int) -> str:
    """A piece's field as a listing shows it: a hand-edited piece on main may hold a
    summary of any length, and one page of list_pieces must stay a page."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
