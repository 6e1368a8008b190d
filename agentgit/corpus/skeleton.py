"""`agentgit init`: the corpus skeleton, shipped inside the wheel, copied into a repository.

In a wheel the skeleton is agentgit/_skeleton/ (pyproject force-includes this repo's own
corpus/ and hooks/); in a source checkout it is the checkout's top, which has the same
shape as a corpus repository.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from agentgit.core.errors import AgentgitError, NotARepository, UsageError
from agentgit.core.refs import MAIN, MAIN_REF
from agentgit.corpus.metric_skeleton import EXPERIMENT_PROGRAM, METRIC_TOML, NIGHT_TOML
from agentgit.git import Repository

# What init lays down, relative to the skeleton root and to the repository.
SKELETON_FILES = (
    "corpus/PROGRAM.md",
    "corpus/pieces/.gitkeep",
    "corpus/log/.gitkeep",
    "hooks/pre-commit",
)
DEFAULT_TOML = """\
# agentgit settings. Every key has a default; flags and AGENTGIT_* variables override.
[session]
# model = "claude-sonnet-5-5"
# max_turns = 30
# max_tokens = 600000
# max_cost = 1.00
# max_minutes = 30
# review = "merge"

# [pricing."my-local-model"]
# input = 0.0
# output = 0.0
"""


def _found_program(repo: Repository) -> str | None:
    """What init does with a corpus/PROGRAM.md that is already there (see InitReport)."""
    path = repo.top / PROGRAM
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file():
        raise AgentgitError(f"{repo.top}: {PROGRAM} is not a file")
    state = program_state(repo)
    if state == "same" and path.read_bytes() == (skeleton_root() / PROGRAM).read_bytes():
        return None  # agentgit's own, from an earlier init: nothing to say
    return {"untracked": "adopted", "same": "kept"}.get(state, "kept-modified")


def skeleton_root() -> Path:
    package = Path(__file__).resolve().parents[1]
    for root in (package / "_skeleton", package.parent):
        if (root / "corpus" / "PROGRAM.md").is_file() and (root / "hooks").is_dir():
            return root
    raise AgentgitError("the corpus skeleton is missing from this installation of agentgit")


def default_program() -> str:
    return (skeleton_root() / "corpus" / "PROGRAM.md").read_text("utf-8")


PROGRAM = "corpus/PROGRAM.md"


def program_state(repo: Repository) -> str:
    """How the work tree's standing instructions compare with main's, which are the ones
    sessions run: "same", "modified", "untracked" (main has none), "missing" (main has
    one, the work tree none), or "none" (neither has one)."""
    mine = repo.work_blob_id(PROGRAM)
    main = repo.blob_id(MAIN, PROGRAM) if repo.rev_parse(MAIN) else None
    if mine == main:
        return "none" if mine is None else "same"
    if main is None:
        return "untracked"
    return "missing" if mine is None else "modified"


@dataclass
class InitReport:
    path: Path
    created: bool
    added: list[str] = field(default_factory=list)
    commit: str | None = None
    kept_workflow: str | None = None  # an existing CI workflow left as it was
    # The user's own corpus/PROGRAM.md, found there: "adopted" (committed with the
    # skeleton), "kept" (as committed on main) or "kept-modified" (the committed one is
    # kept; changes to it in the work tree are not). None: init wrote agentgit's.
    program: str | None = None
    install_note: str | None = None  # why the workflow's install step may need --install


def init(
    path: Path,
    ci: str | None = None,
    install: str | None = None,
    metric: bool = False,
    parallel: int | None = None,
) -> InitReport:
    """Create or adopt a corpus repository. Never overwrites a file the user has.

    `metric` also writes a commented `[metric]` table (appended to an agentgit.toml that
    has none) and, where there is no corpus/PROGRAM.md yet, the experiment program.

    `ci="github"` also writes a GitHub Actions workflow (agentgit/ci.py) whose install
    step passes `install` to pip (default: agentgit as this copy was installed), and
    whose matrix runs `parallel` sessions per trigger (default 1)."""
    if parallel is not None:
        from agentgit.corpus import workflow as ci_mod

        if ci is None:
            raise UsageError("--parallel goes with --ci github")
        ci_mod.check_parallel(parallel)  # before anything is written
    if install is not None:
        from agentgit.corpus import workflow as ci_mod

        if ci is None:
            raise UsageError("--install goes with --ci github")
        install = ci_mod.check_spec(install)  # before anything is written
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise NotARepository(f"{path}: is a file, not a directory")
    created = False
    try:
        repo = Repository.discover(path) if path.exists() else None
    except NotARepository as exc:
        if "bare" in exc.message:
            raise
        repo = None
    if repo is not None and repo.top != path.resolve():
        repo = None  # a directory inside another repository gets a repository of its own
    if repo is None:
        try:
            repo = Repository.init(path)
        except OSError as exc:  # a parent that cannot be made, a read-only directory
            raise AgentgitError(
                f"{path}: cannot create a repository there: {exc.strerror}"
            ) from None
        created = True
    operation = repo.in_progress_operation()
    if operation:
        raise AgentgitError(f"{repo.top}: a {operation} is in progress; finish it first")
    current = repo.current_branch()
    has_main = repo.rev_parse(MAIN) is not None
    if has_main and current not in (None, MAIN_REF):
        raise AgentgitError(f"{repo.top}: check out '{MAIN}' before running init")
    if not has_main and repo.rev_parse("HEAD") is not None:
        raise AgentgitError(repo.no_main_message())
    if not has_main:
        repo.point_head_at(MAIN)

    program = _found_program(repo)
    root = skeleton_root()
    added = []
    for rel in SKELETON_FILES:
        target = repo.top / rel
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if metric and rel == PROGRAM:
            target.write_text(EXPERIMENT_PROGRAM, "utf-8")
        else:
            shutil.copyfile(root / rel, target)
        if rel.startswith("hooks/"):
            target.chmod(0o755)
        added.append(rel)
    toml = repo.top / "agentgit.toml"
    if not toml.exists():
        toml.write_text(NIGHT_TOML + METRIC_TOML if metric else DEFAULT_TOML, "utf-8")
        added.append("agentgit.toml")
    elif metric and "[metric]" not in toml.read_text("utf-8"):
        toml.write_text(toml.read_text("utf-8").rstrip("\n") + "\n" + METRIC_TOML, "utf-8")
        added.append("agentgit.toml")
    if repo.config_get("core.hooksPath") != "hooks":
        repo.config_set("core.hooksPath", "hooks")
    report = InitReport(repo.top, created, added, program=program)
    if ci == "github":
        from agentgit.corpus import workflow as ci_mod

        how = ci_mod.Install(install) if install else ci_mod.default_install()
        written = ci_mod.write_workflow(repo.top, install=how.spec, parallel=parallel or 1)
        if written:
            added.append(written)
            report.install_note = how.note
        else:
            report.kept_workflow = ci_mod.WORKFLOW_PATH
    # Sessions read PROGRAM.md from main: one that is only in the work tree is committed
    # with the skeleton, or it would never reach the model.
    to_commit = added + ([PROGRAM] if program == "adopted" else [])
    if to_commit:
        committed = repo.commit_paths(
            to_commit, lambda staged: f"Set up agentgit corpus\n\nAdded: {', '.join(staged)}\n"
        )
        if committed:
            report.commit = committed
    repo.write_commit_graph()  # once, here: landings then add to it cheaply
    return report
