"""The lifecycle of a session in git (DESIGN §2).

start: claim the next id atomically (the branch and the archive ref are created in
one ref transaction that requires both to be new), add a worktree inside the git dir.
explore: every step that changes files is one commit on the session branch.
end: one last commit on the branch, then main moves by compare-and-swap (a --no-ff
merge to keep, a log-only commit to discard), the head is archived under
refs/agentgit/sessions/<NNNN>, the transcript becomes a note, branch and worktree go.

Every step is ordered so that a process killed anywhere leaves a state that
`resume` continues or `abandon` ends: the transcript is saved before anything moves,
the judgement is recorded in the branch's last commit before main moves, and main
either has the session's commit or does not.
"""

from __future__ import annotations

import fcntl
import json
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from agentgit import corpus, faults, history, stops, transcript
from agentgit import remote as remote_mod
from agentgit.agent import Agent, AgentState, Judgement
from agentgit.diffsubject import describe
from agentgit.errors import AgentgitError, GitError, Interrupted, UsageError
from agentgit.index import CorpusIndex, index_path
from agentgit.models.base import Model, ProgressFn, Usage
from agentgit.repo import (
    ARCHIVE_PREFIX,
    EMPTY,
    MAIN,
    REVIEW_PREFIX,
    SESSION_BRANCH_PREFIX,
    CheckoutBlocked,
    RefMoved,
    Repository,
)
from agentgit.scrub import clean_line, clean_text, secrets_from_env
from agentgit.search import AREAS, Passage
from agentgit.settings import Settings
from agentgit.tools import Toolbox

ID_ATTEMPTS = 1000
MAX_TOPIC_CHARS = 4000  # a topic is a direction, not a document; the orientation clips it
TITLE_CHARS = 120


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Result:
    session: int
    outcome: str
    title: str
    summary: str
    pieces: list[str] = field(default_factory=list)
    reason: str | None = None
    head: str | None = None
    main_commit: str | None = None
    branch: str | None = None
    turns: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    conflicts: list[str] = field(default_factory=list)
    review_url: str | None = None  # where a session sent to review is (--review pr|branch)

    def to_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "outcome": self.outcome,
            "title": self.title,
            "summary": self.summary,
            "pieces": self.pieces,
            "reason": self.reason,
            "head": self.head,
            "main_commit": self.main_commit,
            "branch": self.branch,
            "turns": self.turns,
            "usage": self.usage.to_dict(),
            "cost_usd": self.cost_usd,
            "conflicts": self.conflicts,
            "review_url": self.review_url,
        }


class Session:
    """One session's worktree and metadata; the Workspace the tools act on."""

    def __init__(self, repo: Repository, meta: dict[str, Any], worktree: Path) -> None:
        self.repo = repo
        self.meta = meta
        self.worktree = worktree
        self.session: int = meta["session"]
        self.slug: str = meta["slug"]
        self.today: date = date.fromisoformat(meta["started"][:10])
        self.commits: list[str] = []
        self._tree: tuple[str, dict[str, str]] | None = None  # (head, path -> blob)
        self._index: CorpusIndex | None = None

    # -- names -----------------------------------------------------------------------

    @property
    def id(self) -> str:
        return f"{self.session:04d}"

    @property
    def branch(self) -> str:
        return f"session/{self.id}-{self.slug}"

    @property
    def corpus_dir(self) -> Path:
        return self.worktree / "corpus"

    @property
    def log_rel(self) -> str:
        return corpus.log_entry_name(self.session, self.slug)

    def journal_path(self) -> Path:
        return self.corpus_dir / self.log_rel

    # -- the Workspace protocol ----------------------------------------------------

    def start_journal(self) -> None:
        path = self.journal_path()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(corpus.render_log_entry(self._entry(None, "## Journal\n")), "utf-8")

    def commit_step(self, tool: str, reasoning: str, turn: int, call: str = "") -> str | None:
        # The tools write only drafts and this session's journal. Staging just those
        # spares git a scan of the whole corpus for untracked files at every step (on
        # 10,000 pieces that scan made a step cost 1.6x a plain `git add` + `git commit`).
        paths = [
            p for p in ("corpus/drafts", f"corpus/{self.log_rel}") if (self.worktree / p).exists()
        ]
        if not paths:
            return None
        diff = self.repo.stage(self.worktree, *paths)
        subject = describe(diff)
        if subject is None:
            return None
        trailers = {"Agentgit-Session": self.id, "Agentgit-Turn": str(turn), "Agentgit-Tool": tool}
        if call:  # which tool_use made it: a resume never runs that call again
            trailers["Agentgit-Call"] = call
        self.repo.commit_staged(self.worktree, _message(subject, reasoning, trailers))
        faults.point("step")
        self.commits.append(subject)
        return subject

    def step_commit(self, turn: int, call: str) -> str | None:
        """The subject of the commit tool call `call` of turn `turn` made, if any."""
        head = self.repo.head(self.worktree)
        base = self.meta.get("base")
        for commit in self.repo.log([head, *([f"^{base}"] if base else [])]):
            t = commit.trailers
            if t.get("Agentgit-Turn") == str(turn) and t.get("Agentgit-Call") == call:
                return commit.subject
        return None

    def search(self, query: str, limit: int) -> list[Passage]:
        """Ranked passages of the session's own tree (its last commit: every step that
        writes commits), from the index of the corpus's blobs."""
        head = self.repo.head(self.worktree)
        if self._tree is None or self._tree[0] != head:
            files = self.repo.tree_files(head, *(f"corpus/{a}" for a in AREAS))
            self._tree = (head, {p.removeprefix("corpus/"): sha for p, sha in files.items()})
        if self._index is None:
            self._index = CorpusIndex(index_path(self.repo.state_dir), self.repo.read_blobs)
        return self._index.search(self._tree[1], query, limit)

    def history(self, path: str) -> str:
        return history.path_history(self.repo, path)

    # -- the log entry ---------------------------------------------------------------

    def _entry(self, outcome: str | None, body: str, **fields: Any) -> corpus.LogEntry:
        return corpus.LogEntry(
            session=self.session,
            title=fields.get("title") or self.meta["title"],
            started=self.meta["started"],
            ended=fields.get("ended"),
            outcome=outcome,
            pieces=fields.get("pieces", []),
            reason=fields.get("reason"),
            model=self.meta["model"],
            turns=fields.get("turns", 0),
            usage=fields.get("usage", {"input": 0, "output": 0, "cache_read": 0, "cache_write": 0}),
            cost_usd=fields.get("cost_usd"),
            head=fields.get("head"),
            body=body,
        )

    def journal_body(self) -> str:
        path = self.journal_path()
        if not path.exists():
            return "## Journal\n\n(no notes)\n"
        return corpus.parse_log_entry(path.read_text("utf-8"), self.log_rel).body


# -- starting ----------------------------------------------------------------------


def _used_ids(repo: Repository) -> set[int]:
    ids: set[int] = set()
    for ref in repo.list_refs(ARCHIVE_PREFIX.rstrip("/")):
        tail = ref.rsplit("/", 1)[-1]
        if tail.isdigit():
            ids.add(int(tail))
    for ref in repo.list_refs(SESSION_BRANCH_PREFIX.rstrip("/")):
        match = re.match(r"(\d+)-", ref.removeprefix(SESSION_BRANCH_PREFIX))
        if match:
            ids.add(int(match.group(1)))
    for name in repo.ls_tree_names(MAIN, "corpus/log"):
        match = re.match(r"(\d+)-", name.rsplit("/", 1)[-1])
        if match:
            ids.add(int(match.group(1)))
    return ids


def claim(
    repo: Repository,
    slug: str,
    base: str,
    remote: str | None = None,
    seed: dict[str, Any] | None = None,
) -> int:
    """The next free id, claimed by creating its branch and archive ref in one transaction;
    with a remote, then on the remote too (a runner that loses the race there drops its
    local claim and takes the next id). `seed`, what the session starts with, goes into
    the branch's reflog: killed before its transcript is written, it is not lost."""
    message = CLAIM_PREFIX + json.dumps(transcript.scrubbed(seed)) if seed else None
    used = _used_ids(repo)
    if remote:
        used |= remote_mod.used_ids(repo, remote)
    candidate = max(used, default=0) + 1
    for _ in range(ID_ATTEMPTS):
        branch = f"{SESSION_BRANCH_PREFIX}{candidate:04d}-{slug}"
        archive = f"{ARCHIVE_PREFIX}{candidate:04d}"
        try:
            repo.ref_transaction([(branch, base, EMPTY), (archive, base, EMPTY)], message)
        except RefMoved:
            candidate += 1
            continue
        if remote is None:
            return candidate
        try:
            won = remote_mod.claim(repo, remote, branch, archive, base)
        except AgentgitError:
            repo.ref_transaction([(branch, EMPTY, base), (archive, EMPTY, base)])
            raise
        if won:
            return candidate
        repo.ref_transaction([(branch, EMPTY, base), (archive, EMPTY, base)])
        # Lost the race, or met another claim holding the remote's lock: learn again what
        # the remote has (the same id once more if it is still free), after a little jitter
        # so two runners do not collide in step.
        time.sleep(random.uniform(0.01, 0.2))
        used |= remote_mod.used_ids(repo, remote, with_log=False)
        candidate = max(used, default=0) + 1
    raise AgentgitError("could not claim a session id")


def start(
    repo: Repository,
    settings: Settings,
    *,
    topic: str | None,
    model_name: str,
    model_spec: str | None = None,
) -> Session:
    if repo.in_progress_operation():
        raise AgentgitError(
            f"{repo.top}: a {repo.in_progress_operation()} is in progress; finish it first"
        )
    base = repo.main_commit()
    # The topic becomes a branch, a file name, titles and subjects: no credential and
    # no terminal control may travel with it (the transcript alone was scrubbed before).
    topic = clean_line(topic or "") or None
    if topic and len(topic) > MAX_TOPIC_CHARS:
        raise UsageError(f"--topic is {len(topic):,} characters; the limit is {MAX_TOPIC_CHARS:,}")
    slug = corpus.slugify(topic or "", fallback="explore")
    remote = remote_mod.active(repo, settings)
    seed = {
        "topic": topic,
        "model": model_name,
        # What --model said (scripted:FILE included), so `resume` needs no flags.
        "model_spec": model_spec or model_name,
        "started": now_iso(),
        "budget": {
            k: getattr(settings, k) for k in ("max_turns", "max_tokens", "max_cost", "max_minutes")
        },
        # How it thinks: a resume asks the model as the session began.
        "thinking": {
            k: getattr(settings, k)
            for k in ("thinking", "thinking_display", "effort", "turn_max_tokens")
        },
        # How it ends: a resumed --review pr session must still go to review, and a
        # --no-push one must stay local.
        "review": settings.review,
        "push": settings.push,
    }
    with repo.network_deadline():  # the claim's network calls share one bound
        if remote:
            # A runner whose main is behind the remote's starts from the remote's.
            remote_main = remote_mod.fetch_main(repo, remote)
            if remote_main and repo.is_ancestor(base, remote_main):
                base = remote_main
        number = claim(repo, slug, base, remote, seed)
    faults.point("claimed")
    meta = _meta(number, slug, base, seed)
    session = Session(repo, meta, _worktree_path(repo, number))
    # The transcript exists before the worktree does, so a session killed from here on
    # can always be resumed or abandoned by id.
    transcript.save(_transcript_path(repo, number), meta, AgentState(messages=[]))
    _ready_worktree(repo, session)
    faults.point("started")
    return session


CLAIM_PREFIX = "agentgit claim "


def _meta(number: int, slug: str, base: str | None, seed: dict[str, Any]) -> dict[str, Any]:
    topic = seed.get("topic")
    return {
        "session": number,
        "slug": slug,
        "base": base,
        **seed,
        "title": (topic or f"Session {number:04d}").strip()[:TITLE_CHARS],
        "status": "running",
    }


def _claimed_meta(repo: Repository, number: int, branch: str) -> dict[str, Any]:
    """The meta of a session killed between its claim and its first transcript: the seed
    the claim left in the branch's reflog (defaults if the reflog is gone)."""
    slug = branch.removeprefix(SESSION_BRANCH_PREFIX).split("-", 1)[1]
    seed: Any = {}
    message = repo.first_reflog_message(branch) or ""
    if message.startswith(CLAIM_PREFIX):
        with suppress(ValueError):
            seed = json.loads(message.removeprefix(CLAIM_PREFIX))
    seed = seed if isinstance(seed, dict) else {}
    seed.setdefault("started", now_iso())
    seed.setdefault("model", "")
    seed.setdefault("budget", {})
    seed.setdefault("topic", None)
    return _meta(number, slug, repo.rev_parse(branch), seed)


def _ready_worktree(repo: Repository, session: Session) -> None:
    """The session's worktree, checked out on its branch and clean. Whatever else is at
    its path (a directory left by hand or by another tool) is moved aside, not deleted."""
    path = session.worktree
    if path.exists() and _checked_out(repo, path) == session.branch:
        repo.reset_worktree(path)
        return
    if path.exists() or path.is_symlink():
        n = 1
        while path.with_name(f"{path.name}.stale-{n}").exists():
            n += 1
        path.rename(path.with_name(f"{path.name}.stale-{n}"))
    repo.run("worktree", "prune")
    repo.add_worktree(path, session.branch)


def _checked_out(repo: Repository, path: Path) -> str | None:
    """The branch checked out in the worktree at `path`, if it is one of ours."""
    if not (path / ".git").is_file():
        return None
    code, out, _ = repo.run_status("symbolic-ref", "--short", "HEAD", cwd=path)
    top_code, top, _ = repo.run_status("rev-parse", "--show-toplevel", cwd=path)
    if code != 0 or top_code != 0 or Path(top.strip()).resolve() != path.resolve():
        return None
    return out.strip()


def _worktree_path(repo: Repository, number: int) -> Path:
    return repo.state_dir / "worktrees" / f"{number:04d}"


def _transcript_path(repo: Repository, number: int) -> Path:
    return transcript.transcript_path(repo.state_dir, number)


@contextmanager
def _lock(repo: Repository, number: int) -> Iterator[None]:
    """One process per session; the kernel drops the lock when the process dies."""
    path = repo.state_dir / "locks" / f"{number:04d}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AgentgitError(f"session {number:04d} is running in another process") from None
        yield
    finally:
        handle.close()


# -- running -----------------------------------------------------------------------


def system_prompt(session: Session) -> str:
    program = session.corpus_dir / "PROGRAM.md"
    if program.is_file():
        return program.read_text("utf-8")
    from agentgit.skeleton import default_program

    return default_program()


def program_warning(repo: Repository) -> str | None:
    """One line when the standing instructions in the user's work tree are not the ones
    a session runs: it reads corpus/PROGRAM.md from main, never from the work tree."""
    from agentgit.skeleton import PROGRAM, program_state

    state = program_state(repo)
    commit = "commit it to main to use it"
    return {
        "modified": f"{PROGRAM} in your working copy differs from main's; this session "
        f"runs main's ({commit})",
        "untracked": f"{PROGRAM} in your working copy is not on main; this session runs "
        f"agentgit's default program ({commit})",
        "missing": f"{PROGRAM} is deleted in your working copy; this session runs main's",
    }.get(state)


def orientation(session: Session, settings: Settings) -> tuple[str, list[corpus.Problem]]:
    from agentgit.orient import build_orientation

    return build_orientation(
        session.corpus_dir,
        topic=session.meta.get("topic"),
        budget=f"Budget: {settings.budget_line()}.",
        max_chars=settings.orient_max_chars,
        recent_log=settings.orient_recent_log,
        today=session.today,
    )


def run(
    repo: Repository,
    session: Session,
    model: Model,
    settings: Settings,
    progress: ProgressFn | None = None,
    state: AgentState | None = None,
    cost: Callable[[Usage], float | None] | None = None,
) -> Result:
    """Run the agent loop in the session's worktree, then judge and land."""
    progress = progress or (lambda event, data: None)
    path = _transcript_path(repo, session.session)
    with _lock(repo, session.session):
        if state is None or not state.messages:  # a fresh start, or killed before turn 1
            text, problems = orientation(session, settings)
            for problem in problems:
                progress("warning", {"message": f"skipped {problem}"})
            state = AgentState(
                messages=[{"role": "user", "content": [{"type": "text", "text": text}]}]
            )
        session.meta["system"] = system_prompt(session)
        session.meta["status"] = "running"
        cost = cost or _cost_fn(session.meta["model"], settings)

        def save(current: AgentState) -> None:
            transcript.save(path, session.meta, current)

        toolbox = Toolbox.for_settings(session, settings)
        agent = Agent(
            model,
            toolbox,
            session.meta["system"],
            settings,
            cost=cost,
            save=save,
            progress=progress,
        )
        save(state)
        try:
            judgement = agent.run(state)
        except (Interrupted, KeyboardInterrupt) as exc:
            with stops.held(drop=True):  # a second signal cannot cut the clean-up short
                session.meta["status"] = "interrupted"
                save(state)
                with repo.network_deadline():
                    where = _park(repo, session, settings)
            raise Interrupted(
                f"session {session.id} interrupted: {_why(exc)}; "
                f"`agentgit resume {session.session}` continues it{where}",
                session=session.session,
            ) from None
        session.meta.update(status="judged", ended=now_iso(), judgement=judgement.__dict__)
        save(state)
        return finish(repo, session, judgement, state, settings, progress)


def _cost_fn(model_name: str, settings: Settings) -> Callable[[Usage], float | None]:
    from agentgit.pricing import cost_usd

    return lambda usage: cost_usd(model_name, usage, settings.pricing)


# -- ending ------------------------------------------------------------------------


def finish(
    repo: Repository,
    session: Session,
    judgement: Judgement,
    state: AgentState,
    settings: Settings,
    progress: ProgressFn,
) -> Result:
    try:
        result = _final_commit(repo, session, judgement, state)
        faults.point("judged")
        progress("judged", {"outcome": result.outcome, "head": result.head})
    except KeyboardInterrupt as exc:  # a signal: the judgement is saved, resume makes it
        with stops.held(drop=True), repo.network_deadline():
            where = _park(repo, session, settings)
        raise Interrupted(
            f"session {session.id} judged {judgement.outcome} but did not finish landing: "
            f"{_why(exc)}; `agentgit resume {session.session}` lands it{where}",
            session=session.session,
        ) from None
    return land(repo, session, result, settings, progress)


def _final_commit(
    repo: Repository, session: Session, judgement: Judgement, state: AgentState
) -> Result:
    """The branch's last commit: pieces moved into place, drafts dropped, log finalised."""
    corpus_dir = session.corpus_dir
    pieces: list[str] = []
    titles: list[str] = []
    if judgement.outcome == "crystallized":
        for slug in judgement.slugs:
            draft = corpus_dir / "drafts" / f"{slug}.md"
            text = draft.read_text("utf-8")
            titles.append(corpus.parse_piece(text, f"drafts/{slug}.md").title)
            target = corpus_dir / "pieces" / f"{slug}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
            pieces.append(slug)
        drafts = corpus_dir / "drafts"
        if drafts.is_dir():
            for leftover in drafts.glob("*.md"):
                leftover.unlink()
    topic = session.meta.get("topic")
    title = clean_line(
        (topic or "")[:TITLE_CHARS]
        or (
            "; ".join(titles)
            if titles
            else _first_line(judgement.summary) or judgement.reason or session.meta["title"]
        )
    )
    head_before = repo.head(session.worktree)
    usage = state.usage
    body = (
        session.journal_body().rstrip()
        + "\n\n## Summary\n\n"
        + (judgement.summary.strip() or "(none)")
        + "\n"
    )
    if session.commits or state.turns:
        steps = [s.get("commit") for t in state.turns for s in t.get("steps", [])]
        steps = [s for s in steps if s]
        if steps:
            body += "\n## Steps\n\n" + "".join(f"- {s}\n" for s in steps)
    ended = session.meta.get("ended") or now_iso()
    entry = session._entry(
        judgement.outcome,
        body,
        title=title,
        ended=ended,
        pieces=pieces,
        reason=judgement.reason,
        turns=state.turn,
        usage={
            "input": usage.input_tokens,
            "output": usage.output_tokens,
            "cache_read": usage.cache_read_input_tokens,
            "cache_write": usage.cache_creation_input_tokens,
        },
        cost_usd=None if state.cost_usd is None else round(state.cost_usd, 6),
        head=head_before,
    )
    path = session.journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(corpus.render_log_entry(entry), "utf-8")
    diff = repo.stage(session.worktree)
    subject = describe(diff) or "Judge"
    verb = "Crystallize" if judgement.outcome == "crystallized" else "Abandon"
    trailers = _summary_trailers(session, judgement.outcome, title, pieces, state)
    trailers["Agentgit-Ended"] = ended  # when the money was spent: the ledger reads it
    message = _message(
        f"{verb} session {session.id}: {subject[0].lower()}{subject[1:]}",
        judgement.summary,
        trailers,
    )
    repo.commit_staged(session.worktree, message)
    return Result(
        session=session.session,
        outcome=judgement.outcome,
        title=title,
        summary=judgement.summary,
        pieces=pieces,
        reason=judgement.reason,
        head=repo.head(session.worktree),
        branch=session.branch,
        turns=state.turn,
        usage=usage,
        cost_usd=state.cost_usd,
    )


def _summary_trailers(
    session: Session, outcome: str, title: str, pieces: list[str], state: AgentState
) -> dict[str, str]:
    u = state.usage
    return {
        "Agentgit-Session": session.id,
        "Agentgit-Outcome": outcome,
        "Agentgit-Title": _one_line(title),
        "Agentgit-Pieces": ", ".join(pieces),
        "Agentgit-Turns": str(state.turn),
        "Agentgit-Cost": "unknown" if state.cost_usd is None else f"{state.cost_usd:.6f}",
        "Agentgit-Usage": (
            f"input={u.input_tokens} output={u.output_tokens} "
            f"cache_read={u.cache_read_input_tokens} "
            f"cache_write={u.cache_creation_input_tokens}"
        ),
        "Agentgit-Model": session.meta["model"],
    }


def land(
    repo: Repository, session: Session, result: Result, settings: Settings, progress: ProgressFn
) -> Result:
    """Archive the head, attach the transcript, move main, clean up. Idempotent, so any
    failure here (a remote or GitHub that is down, a main that kept moving) leaves the
    judged session for `resume` to land: it is reported as interrupted (exit 3)."""
    judged = result.outcome
    # One network bound for the landing and the park after it, not one for each call.
    with repo.network_deadline():
        try:
            return _land(repo, session, result, settings, progress)
        except Interrupted:
            raise
        except (AgentgitError, KeyboardInterrupt) as exc:
            with stops.held(drop=True):  # a second signal cannot cut the park short
                why, where = _why(exc), _park(repo, session, settings)
    raise Interrupted(
        f"session {session.id} judged {judged} but did not finish landing: "
        f"{why}; `agentgit resume {session.session}` lands it{where}",
        session=session.session,
    )


def _why(exc: BaseException) -> str:
    """What stopped a run, for its one line."""
    if isinstance(exc, AgentgitError):
        return exc.message
    return exc.message if isinstance(exc, stops.Stop) else "stopped by the user"


def _park(repo: Repository, session: Session, settings: Settings) -> str:
    """Leave an interrupted session on the remote, so that a clone elsewhere (the next
    CI run) can resume it; what became of that, for the message. Best effort: the
    session is resumable here whatever happens."""
    remote = remote_mod.active(repo, settings)
    path = _transcript_path(repo, session.session)
    if remote is None or not path.exists():
        return ""
    faults.point("parking")
    try:
        remote_mod.park(
            repo, remote, session.branch, repo.head(session.worktree), path.read_text("utf-8")
        )
    except AgentgitError as exc:
        return f" here (it could not be left on {remote}: {exc.message})"
    return f" here or in any clone of {remote}"


def _land(
    repo: Repository, session: Session, result: Result, settings: Settings, progress: ProgressFn
) -> Result:
    head = result.head
    assert head is not None
    repo.ref_transaction([(f"{ARCHIVE_PREFIX}{session.id}", head, None)])
    path = _transcript_path(repo, session.session)
    if path.exists():
        repo.add_note(head, path.read_text("utf-8"))
    faults.point("before-main")
    remote = remote_mod.active(repo, settings)
    if remote and settings.review != "merge" and result.outcome == "crystallized":
        from agentgit import review

        result = review.submit(repo, session, result, settings, remote)
        progress("landed", {"outcome": result.outcome, "review": result.review_url})
        _cleanup(repo, session, keep_branch=True)
        return result
    landed = find_landing(repo, session.session, remote)
    if landed is None:
        if result.outcome == "crystallized":
            result = _merge(repo, session, result, settings, remote)
        else:
            result.main_commit = _log_only(repo, session, result, settings, remote)
    else:
        result.main_commit = landed
        if remote:
            _bring_local_main(repo, landed)
    faults.point("after-main")
    logged_by_pull = False
    if (
        remote
        and result.main_commit is None
        and settings.review == "pr"
        and result.outcome == "abandoned"
    ):
        # A protected main refused the log entry: it goes by a small pull request.
        from agentgit import review

        result.review_url = review.submit_log(repo, session, result, remote)
        logged_by_pull = True
    # A session whose log entry could not reach main (the remote refused it) keeps its
    # branch too, unless a pull request carries the entry: nothing is lost either way.
    keep_branch = result.outcome == "needs-review" or (
        result.main_commit is None and not logged_by_pull
    )
    if remote:
        # A needs-review branch waits on a person like a --review one: sync records it.
        remote_mod.publish(
            repo,
            remote,
            session.id,
            session.branch,
            keep_branch,
            in_review=result.outcome == "needs-review",
        )
        faults.point("pushed")
    progress(
        "landed",
        {
            "outcome": result.outcome,
            "main": result.main_commit,
            **({"review": result.review_url} if logged_by_pull else {}),
        },
    )
    _cleanup(repo, session, keep_branch=keep_branch)
    return result


def _main_base(repo: Repository, remote: str | None) -> str:
    """The main a landing builds on: the remote's as just fetched, else the local one."""
    if remote:
        fetched = remote_mod.fetch_main(repo, remote)
        if fetched:
            return fetched
    old = repo.rev_parse(MAIN)
    assert old is not None
    return old


def _bring_local_main(repo: Repository, commit: str) -> None:
    """After the remote's main took `commit`, bring the local main forward where that is
    a fast-forward the user's checkout allows; otherwise leave it for a `git pull`."""
    old = repo.rev_parse(MAIN)
    if old is None or old == commit or not repo.is_ancestor(old, commit):
        return
    with suppress(RefMoved, CheckoutBlocked):
        repo.advance_branch(MAIN, commit, old)


def _merge(
    repo: Repository,
    session: Session,
    result: Result,
    settings: Settings,
    remote: str | None = None,
) -> Result:
    head = result.head
    assert head is not None
    titles = result.title
    for _ in range(settings.merge_retries):
        old = _main_base(repo, remote)
        merged = repo.merge_tree(old, head)
        if merged.tree is None:
            return _needs_review(
                repo,
                session,
                result,
                settings,
                f"conflict with main in {', '.join(merged.conflicts)}",
                merged.conflicts,
                remote,
            )
        trailers = _landing_trailers(repo, head)
        message = _message(
            f"Crystallize session {session.id}: {_one_line(titles)}", result.summary, trailers
        )
        commit = repo.commit_tree(merged.tree, [old, head], message)
        faults.point("merging")
        if remote:
            pushed, why = remote_mod.push_main(repo, remote, commit)
            if pushed is remote_mod.Pushed.MOVED:
                continue
            if pushed is remote_mod.Pushed.REFUSED:
                return _needs_review(
                    repo,
                    session,
                    result,
                    settings,
                    f"{remote} refused the push to main: {why}",
                    [],
                    remote,
                )
            result.main_commit = commit
            _bring_local_main(repo, commit)
            return result
        try:
            repo.advance_branch(MAIN, commit, old)
        except RefMoved:
            continue
        except CheckoutBlocked as exc:
            return _needs_review(repo, session, result, settings, exc.message, [], remote)
        result.main_commit = commit
        return result
    return _needs_review(repo, session, result, settings, "main kept moving", [], remote)


def _needs_review(
    repo: Repository,
    session: Session,
    result: Result,
    settings: Settings,
    why: str,
    conflicts: list[str],
    remote: str | None = None,
) -> Result:
    """Never force: record the outcome on the branch, land only the log entry, keep the
    branch for a person."""
    path = session.journal_path()
    entry = corpus.parse_log_entry(path.read_text("utf-8"), session.log_rel)
    entry.outcome = "needs-review"
    entry.reason = why
    entry.body = entry.body.rstrip() + (
        f"\n\n## Needs review\n\nThe session kept {', '.join(result.pieces)}, but it could "
        f"not be merged: {why}. The branch `{session.branch}` is left for a person to "
        "merge.\n"
    )
    path.write_text(corpus.render_log_entry(entry), "utf-8")
    repo.stage(session.worktree)
    trailers = _landing_trailers(repo, result.head or "")
    trailers["Agentgit-Outcome"] = "needs-review"
    repo.commit_staged(
        session.worktree,
        _message(f"Needs review: session {session.id} could not merge", why, trailers),
    )
    result.head = repo.head(session.worktree)
    # The transcript goes on the new last commit too: it is the head main's log commit
    # names, where `show --transcript` looks.
    transcript_file = _transcript_path(repo, session.session)
    if transcript_file.exists():
        repo.add_note(result.head, transcript_file.read_text("utf-8"))
    repo.ref_transaction([(f"{ARCHIVE_PREFIX}{session.id}", result.head, None)])
    faults.point("needs-review")
    result.outcome, result.reason, result.conflicts = "needs-review", why, conflicts
    result.main_commit = _log_only(repo, session, result, settings, remote)
    return result


def _log_only(
    repo: Repository,
    session: Session,
    result: Result,
    settings: Settings,
    remote: str | None = None,
) -> str | None:
    """Main gets one commit that adds only the session's log entry. None: the remote
    refused it (a protected main); the entry stays on the pushed branch."""
    for _ in range(settings.merge_retries):
        old = _main_base(repo, remote)
        commit = log_commit(repo, session, result, old)
        if remote:
            pushed, _why = remote_mod.push_main(repo, remote, commit)
            if pushed is remote_mod.Pushed.MOVED:
                continue
            if pushed is remote_mod.Pushed.REFUSED:
                return None
            _bring_local_main(repo, commit)
            return commit
        try:
            repo.advance_branch(MAIN, commit, old)
            return commit
        except RefMoved:
            continue
        # A checkout that cannot come forward (CheckoutBlocked) is not gone round by moving
        # the ref alone: the user's index would then show the entry as a staged deletion.
        # It stops the landing, which `resume` finishes.
    raise AgentgitError("main kept moving")


def log_commit(repo: Repository, session: Session, result: Result, old: str) -> str:
    """A commit on `old` that adds only the session's log entry, as on its head."""
    head = result.head
    assert head is not None
    text = repo.read_blob(head, f"corpus/{session.log_rel}")
    assert text is not None
    verb = {"abandoned": "Abandon", "needs-review": "Needs review:"}.get(result.outcome, "Log")
    what = result.reason or result.title
    tree = repo.tree_with_file(old, f"corpus/{session.log_rel}", text)
    message = _message(
        f"{verb} session {session.id}: {_one_line(what)}",
        result.summary,
        _landing_trailers(repo, head),
    )
    return repo.commit_tree(tree, [old], message)


def _landing_trailers(repo: Repository, head: str) -> dict[str, str]:
    """Main's commit repeats the branch's summary trailers, so `git log --first-parent`
    alone answers `agentgit log`, and names the archived head."""
    trailers = {k: v for k, v in repo.trailers(head).items() if k.startswith("Agentgit-")}
    for key in ("Agentgit-Turn", "Agentgit-Tool", "Agentgit-Call"):
        trailers.pop(key, None)
    trailers["Agentgit-Head"] = head
    return trailers


def find_landing(
    repo: Repository, number: int, remote: str | None = None, depth: int = history.RECENT
) -> str | None:
    """Main's commit for this session, if it already landed (resume after a kill, a review
    decided); with a remote, the remote's main is asked first. Only main's last `depth`
    first-parent commits are read: a landing is looked for soon after the session."""
    mains = [MAIN]
    if remote and remote_mod.fetch_main(repo, remote):
        mains.insert(0, remote_mod.tracking(remote))
    for main in mains:
        found = history.landings(repo, main, limit=1, session=number, depth=depth)
        if found:
            return found[0].sha
    return None


def _cleanup(repo: Repository, session: Session, keep_branch: bool) -> None:
    repo.remove_worktree(session.worktree)
    repo.write_commit_graph(only_if_present=True)  # the session's commits get filters
    if not keep_branch:
        sha = repo.rev_parse(f"refs/heads/{session.branch}")
        if sha:
            repo.delete_ref(f"refs/heads/{session.branch}", sha)
    path = _transcript_path(repo, session.session)
    if path.exists():
        path.unlink()


# -- resuming and abandoning open sessions ------------------------------------------


def session_branches(repo: Repository, number: int) -> dict[str, str]:
    """Session N's branch (ref: sha) in this clone; one, or none."""
    return {
        r: sha
        for r, sha in repo.list_refs(SESSION_BRANCH_PREFIX.rstrip("/")).items()
        if r.removeprefix(SESSION_BRANCH_PREFIX).startswith(f"{number:04d}-")
    }


def check_open(repo: Repository, number: int, remote: str | None = None) -> None:
    """Raise unless session N is one `resume` or `abandon` can act on. It changes nothing,
    except that with a remote, a session parked there by another machine is brought
    here first, and a session whose branch was deleted (its transcript is still here) gets
    it back."""
    branches = list(session_branches(repo, number))
    if not branches and remote and _unpark(repo, number, remote):
        branches = list(session_branches(repo, number))
    if not branches and _restore_branch(repo, number):
        branches = list(session_branches(repo, number))
    landing = find_landing(repo, number)
    waiting = (
        landing is not None
        and not _transcript_path(repo, number).exists()
        and repo.trailers(landing).get("Agentgit-Outcome") == "needs-review"
    )
    if not branches:
        if waiting:
            raise AgentgitError(
                f"session {number:04d} needs review and its branch is gone: `agentgit sync` "
                f"records that, or `agentgit abandon {number}`"
            )
        if landing is not None:
            raise AgentgitError(f"session {number:04d} has already ended")
        raise AgentgitError(f"no open session {number:04d}")
    if landing is not None and not waiting and not _transcript_path(repo, number).exists():
        # Decided elsewhere (another clone's sync, pulled here): what is left is stale.
        raise AgentgitError(f"session {number:04d} has already ended")
    if waiting or (
        not _transcript_path(repo, number).exists()
        and repo.rev_parse(f"{REVIEW_PREFIX}{number:04d}") is not None
    ):
        raise AgentgitError(
            f"session {number:04d} is waiting on review ({branches[0].removeprefix('refs/heads/')}"
            "): merge it, or close its pull request or delete its branch, then `agentgit sync`"
        )


def _logged_on_main(repo: Repository, number: int) -> bool:
    return any(
        name.rsplit("/", 1)[-1].startswith(f"{number:04d}-")
        for name in repo.ls_tree_names(MAIN, "corpus/log")
    )


def _restore_branch(repo: Repository, number: int) -> bool:
    """Session N's branch, deleted while its transcript remains and before it was logged:
    made again at its worktree's commit, or else where its archive ref (its start) is. The
    transcript is the evidence: it goes only after the branch, once the session ended."""
    path = _transcript_path(repo, number)
    if not path.exists() or _logged_on_main(repo, number) or find_landing(repo, number):
        return False
    try:
        slug = corpus.validate_slug(str(transcript.load(path).get("slug")))
    except AgentgitError:
        slug = "explore"  # an unreadable transcript: `abandon` still ends the session
    worktree = _worktree_path(repo, number)
    code, out, _ = (
        repo.run_status("rev-parse", "--verify", "--quiet", "HEAD", cwd=worktree)
        if (worktree / ".git").is_file()
        else (1, "", "")
    )
    head = out.strip() if code == 0 else repo.rev_parse(f"{ARCHIVE_PREFIX}{number:04d}")
    if not head:
        return False
    repo.ref_transaction([(f"{SESSION_BRANCH_PREFIX}{number:04d}-{slug}", head, EMPTY)])
    return True


def _unpark(repo: Repository, number: int, remote: str) -> bool:
    """Bring session N here from the remote, where an interrupted run parked it: its
    branch and its transcript (the note on the branch's head). False if the remote has
    no such branch; an error if it has one with no transcript (running elsewhere)."""
    found = repo.ls_remote(remote, f"{SESSION_BRANCH_PREFIX}{number:04d}-*")
    if not found:
        return False
    ref, head = sorted(found.items())[0]
    remote_mod.fetch_notes(repo, remote)
    # The objects come under a scratch ref; the branch is made last, after the
    # transcript, so a kill in between leaves nothing that looks like an open session.
    scratch = f"refs/agentgit/unpark/{number:04d}"
    repo.fetch(remote, f"+{ref}:{scratch}")
    note = repo.read_note(head)
    try:
        data = transcript.parse(note) if note else None
    except AgentgitError:  # parked, but unreadable: here `abandon` can still end it
        data = {"session": number}
    if data is None or data.get("session") != number:
        repo.delete_ref(scratch)
        raise AgentgitError(
            f"session {number:04d} is open on another machine: {remote} has its branch but "
            "no transcript left to resume it (it may still be running there)"
        )
    path = _transcript_path(repo, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(note or "", "utf-8")
    repo.ref_transaction([(ref, head, EMPTY), (scratch, EMPTY, None)])
    return True


def _landed_elsewhere(repo: Repository, session: Session, remote: str | None) -> str | None:
    """The head another clone landed this session with, after resuming it from the
    remote: one this clone's branch never reached. None if it did not happen."""
    try:
        landed = find_landing(repo, session.session, remote) if remote else None
    except GitError:  # the remote is down: go on here; landing asks it again
        landed = None
    if landed is None:
        return None
    named = repo.trailers(landed).get("Agentgit-Head", "")
    mine = repo.head(session.worktree)
    return None if named == mine or repo.is_ancestor(named, mine) else named


def read_transcript(repo: Repository, number: int) -> dict[str, Any]:
    """Session N's transcript, or one line saying it cannot be read and what ends it."""
    path = _transcript_path(repo, number)
    try:
        return transcript.load(path)
    except AgentgitError as exc:
        raise AgentgitError(
            f"session {number:04d} cannot be resumed: {exc.message} ({path}); "
            f"`agentgit abandon {number} --reason TEXT` ends it"
        ) from None


def _salvage(repo: Repository, number: int, branch: str) -> dict[str, Any]:
    """For `abandon`: an unreadable transcript is kept aside, and the session goes on
    from what its claim recorded."""
    path = _transcript_path(repo, number)
    try:
        return transcript.load(path)
    except AgentgitError:
        pass
    n = 1
    while path.with_name(f"{number:04d}.unreadable-{n}.json").exists():
        n += 1
    path.rename(path.with_name(f"{number:04d}.unreadable-{n}.json"))
    transcript.save(path, _claimed_meta(repo, number, branch), AgentState(messages=[]))
    return transcript.load(path)


def open_session(
    repo: Repository, number: int, remote: str | None = None, salvage: bool = False
) -> tuple[Session, dict[str, Any]]:
    check_open(repo, number, remote)
    path = _transcript_path(repo, number)
    branches = list(session_branches(repo, number))
    if not path.exists() and find_landing(repo, number) is None:
        # Killed between claiming the id and saving the transcript: nothing else was done,
        # so the claim (the branch's name, base and reflog) is enough to begin it.
        transcript.save(path, _claimed_meta(repo, number, branches[0]), AgentState(messages=[]))
    if not path.exists():
        raise AgentgitError(f"session {number:04d} has already ended")
    data = _salvage(repo, number, branches[0]) if salvage else read_transcript(repo, number)
    session = Session(
        repo, {k: v for k, v in data.items() if k not in _STATE_KEYS}, _worktree_path(repo, number)
    )
    if f"{SESSION_BRANCH_PREFIX}{session.branch.removeprefix('session/')}" not in branches:
        # The transcript names another branch than the one there is (a slug it lost):
        # the branch is what holds the work.
        session.slug = branches[0].removeprefix(SESSION_BRANCH_PREFIX).split("-", 1)[1]
        session.meta["slug"] = session.slug
    _ready_worktree(repo, session)
    return session, data


_STATE_KEYS = {
    "version",
    "messages",
    "turn",
    "usage",
    "cost_usd",
    "nudges",
    "elapsed",
    "turns",
    "final_turn",
    "thinking_model",
    "cutoffs",
    "turn_tokens",
    "unsent",
    "scrubbed_from",
    "pending",
}


def _judged_result(repo: Repository, session: Session) -> Result | None:
    """If the branch's last commit already holds the judgement, the Result it implies."""
    head = repo.head(session.worktree)
    trailers = repo.trailers(head)
    outcome = trailers.get("Agentgit-Outcome")
    # needs-review too: killed after that commit, the session only has its entry to log.
    if outcome not in ("crystallized", "abandoned", "needs-review"):
        return None
    if trailers.get("Agentgit-Session") != session.id or not session.journal_path().is_file():
        return None  # an earlier session's landing: this one has not even begun (its base)
    entry = corpus.parse_log_entry(session.journal_path().read_text("utf-8"), session.log_rel)
    return Result(
        session=session.session,
        outcome=outcome,
        title=entry.title,
        summary=(session.meta.get("judgement") or {}).get("summary", ""),
        pieces=entry.pieces,
        reason=entry.reason,
        head=head,
        branch=session.branch,
        turns=entry.turns,
        usage=_entry_usage(entry),
        cost_usd=entry.cost_usd,
    )


def _entry_usage(entry: corpus.LogEntry) -> Usage:
    """The tokens a log entry records (a session landed from its judged commit)."""
    u = entry.usage
    return Usage(
        input_tokens=u.get("input", 0),
        output_tokens=u.get("output", 0),
        cache_read_input_tokens=u.get("cache_read", 0),
        cache_creation_input_tokens=u.get("cache_write", 0),
    )


def resume(
    repo: Repository,
    number: int,
    model: Model,
    settings: Settings,
    progress: ProgressFn | None = None,
) -> Result:
    progress = progress or (lambda event, data: None)
    remote = remote_mod.active(repo, settings)
    with _lock(repo, number):
        session, data = open_session(repo, number, remote)
        elsewhere = _landed_elsewhere(repo, session, remote)
        if elsewhere:
            # Commits made here that the landing lacks (two clones resumed it at once)
            # are kept under a ref of their own; the session itself is over.
            mine, kept = repo.head(session.worktree), f"refs/agentgit/unlanded/{session.id}"
            lacking = not repo.is_ancestor(mine, elsewhere)
            if lacking:
                repo.ref_transaction([(kept, mine, None)])
            _cleanup(repo, session, keep_branch=False)
            raise AgentgitError(
                f"session {session.id} has already ended: another clone resumed it and "
                f"landed it on {remote}"
                + (f"; what this clone added is kept at {kept}" if lacking else "")
            )
    # A resume with another model goes on as that model: its prices, its trailer.
    if model.name != session.meta.get("model"):
        session.meta["model"] = model.name
        session.meta["model_spec"] = settings.model or model.name
    judged = _judged_result(repo, session)
    if judged is not None:
        with _lock(repo, number):
            return land(repo, session, judged, settings, progress)
    state = transcript.state_from_dict(data)
    judgement = session.meta.get("judgement")
    if judgement and session.meta.get("status") == "judged":
        with _lock(repo, number):
            return finish(repo, session, Judgement(**judgement), state, settings, progress)
    return run(repo, session, model, settings, progress, state=state)


def abandon(
    repo: Repository,
    number: int,
    reason: str,
    settings: Settings,
    progress: ProgressFn | None = None,
) -> Result:
    """End an open session (interrupted, killed, left for review) as abandoned."""
    progress = progress or (lambda event, data: None)
    reason = clean_line(reason)  # it goes into subjects and the log entry, as a topic does
    if not reason:
        raise UsageError("--reason must not be empty")
    with _lock(repo, number):
        _reopen_deleted_review(repo, number)
        reviewed = _left_for_review(repo, number)
        if reviewed is not None:
            return _abandon_reviewed(repo, number, reviewed, reason, settings, progress)
        session, data = open_session(repo, number, remote_mod.active(repo, settings), salvage=True)
        judged = _judged_result(repo, session)
        if judged is not None:
            return land(repo, session, judged, settings, progress)
        state = transcript.state_from_dict(data)
        session.meta.update(status="judged", ended=now_iso())
        judgement = Judgement("abandoned", f"Abandoned by hand: {reason}", reason=reason)
        session.meta["judgement"] = judgement.__dict__
        transcript.save(_transcript_path(repo, number), session.meta, state)
        return finish(repo, session, judgement, state, settings, progress)


def _reopen_deleted_review(repo: Repository, number: int) -> None:
    """A needs-review session whose branch a person merged or deleted here. Merged, it is
    not abandoned (sync records it kept); deleted, its branch comes back from the
    archived head so that abandoning it goes as for any session left for review."""
    from agentgit.review import local_decisions

    for decision in local_decisions(repo, number):
        if decision.merged:
            raise AgentgitError(
                f"session {number:04d} was merged into {MAIN} by hand: `agentgit sync` "
                "records it kept"
            )
        name = _log_entry_of(repo, decision.head, number)
        repo.create_ref(f"refs/heads/session/{name}", decision.head)


def _log_entry_of(repo: Repository, head: str, number: int) -> str:
    """0007-tides for session 7, from its log entry's name on `head`."""
    from agentgit.review import _log_entry_name

    return _log_entry_name(repo, head, number).rsplit("/", 1)[-1].removesuffix(".md")


def _left_for_review(repo: Repository, number: int) -> str | None:
    """The branch of a session whose judgement could not merge and awaits a person (or
    whose abandoning was killed after landing, before the branch went)."""
    branch = next(iter(session_branches(repo, number)), None)
    landing = find_landing(repo, number)
    if branch is None or landing is None:
        return None
    trailers = repo.trailers(landing)
    if trailers.get("Agentgit-Outcome") == "needs-review":
        return branch
    finishing = (
        trailers.get("Agentgit-Outcome") == "abandoned"
        and trailers.get("Agentgit-Head") == repo.rev_parse(branch)
        and not _transcript_path(repo, number).exists()
    )
    return branch if finishing else None


def _abandon_reviewed(
    repo: Repository,
    number: int,
    branch: str,
    reason: str,
    settings: Settings,
    progress: ProgressFn,
) -> Result:
    """Give up on a session left for review: its log entry on the branch and on main
    says abandoned, the head is archived, the branch goes."""
    old_head = repo.rev_parse(branch)
    assert old_head is not None
    slug = branch.removeprefix(SESSION_BRANCH_PREFIX).split("-", 1)[1]
    log_rel = corpus.log_entry_name(number, slug)
    entry = corpus.parse_log_entry(repo.read_blob(old_head, f"corpus/{log_rel}") or "", log_rel)
    meta = {
        "session": number,
        "slug": slug,
        "title": entry.title,
        "model": entry.model,
        "started": entry.started,
        "topic": None,
    }
    session = Session(repo, meta, _worktree_path(repo, number))
    _ready_worktree(repo, session)
    # A previous `abandon` killed halfway left its commit: it is not made twice.
    if repo.trailers(old_head).get("Agentgit-Outcome") != "abandoned":
        entry.outcome, entry.reason, entry.pieces = "abandoned", reason, []
        entry.body = entry.body.rstrip() + f"\n\n## Abandoned in review\n\n{reason}\n"
        session.journal_path().write_text(corpus.render_log_entry(entry), "utf-8")
        repo.stage(session.worktree)
        trailers = _landing_trailers(repo, old_head)
        trailers.update({"Agentgit-Outcome": "abandoned", "Agentgit-Pieces": ""})
        repo.commit_staged(
            session.worktree,
            _message(
                f"Abandon session {session.id}: {reason}",
                f"Abandoned in review: {reason}",
                trailers,
            ),
        )
    head = repo.head(session.worktree)
    repo.ref_transaction([(f"{ARCHIVE_PREFIX}{session.id}", head, None)])
    note = repo.read_note(old_head)
    if note is not None:
        repo.add_note(head, note)
    result = Result(
        session=number,
        outcome="abandoned",
        title=entry.title,
        summary=f"Abandoned in review: {reason}",
        pieces=[],
        reason=reason,
        head=head,
        branch=session.branch,
        turns=entry.turns,
        usage=_entry_usage(entry),
        cost_usd=entry.cost_usd,
    )
    remote = remote_mod.active(repo, settings)
    landed = find_landing(repo, number, remote)
    if landed and repo.trailers(landed).get("Agentgit-Head") == head:
        result.main_commit = landed  # landed before a kill
    else:
        result.main_commit = _log_only(repo, session, result, settings, remote)
    faults.point("after-main")
    if remote:  # the branch and its review ref go on the remote too, unless main refused
        remote_mod.publish(
            repo, remote, session.id, session.branch, keep_branch=result.main_commit is None
        )
    progress("landed", {"outcome": result.outcome, "main": result.main_commit})
    _cleanup(repo, session, keep_branch=result.main_commit is None)
    return result


# -- messages ----------------------------------------------------------------------


def _message(subject: str, body: str, trailers: dict[str, str]) -> str:
    """A commit message. Everything in it (titles, reasons, the model's reasoning) is
    cleaned of credentials and terminal controls: `git log` shows it as it is."""
    secrets = secrets_from_env()
    subject = clean_line(subject, secrets)[:200]
    parts = [subject]
    body = clean_text(body, secrets).strip()
    if body:
        parts.append(body)
    parts.append("\n".join(f"{k}: {clean_line(str(v), secrets)}" for k, v in trailers.items()))
    return "\n\n".join(parts) + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _first_line(text: str) -> str:
    """A title from a summary: its first clause, at most 80 characters."""
    for line in text.strip().splitlines():
        if line.strip():
            line = re.split(r"(?<=[.;:!?])\s", line.strip(), maxsplit=1)[0].rstrip(".;:")
            return line if len(line) <= 80 else line[:77].rstrip() + "…"
    return ""
