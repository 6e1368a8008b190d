"""The shape of the package (issue 10): no import cycle, git run only by the git layer,
and only the CLI printing or exiting."""

from __future__ import annotations

import ast
from pathlib import Path

import agentgit

PACKAGE = Path(agentgit.__file__).parent
# The git layer: `Repository` (repo.py) and the parts it is composed of, one job each.
GIT_LAYER = {
    PACKAGE / name
    for name in (
        "repo.py",
        "gitrun.py",
        "gitobjects.py",
        "gitrefs.py",
        "gitworktrees.py",
        "gitnotes.py",
        "gitremote.py",
        "gitlog.py",
    )
}
# Of those, the one that starts git's processes; the others call its runner.
GIT_RUNNER = PACKAGE / "gitrun.py"


def _modules() -> dict[str, Path]:
    return {
        ".".join(("agentgit", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
            ".__init__"
        ): p
        for p in PACKAGE.rglob("*.py")
    }


def _imports(path: Path, known: set[str]) -> set[str]:
    """The agentgit modules `path` imports, at its top or inside a function alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(path, known) - {name} for name, path in modules.items()}
    # A package's __init__ is imported by its submodules' import; that edge is not a cycle.
    graph = {n: {m for m in deps if not n.startswith(m + ".")} for n, deps in graph.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _git_calls(path: Path) -> list[str]:
    """Where `path` runs a process or calls a Repository's raw runner."""
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any(n.split(".")[0] in ("subprocess", "pty", "git") for n in names):
                found.append(f"{path.name}:{node.lineno} imports {names}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, owner = node.func.attr, node.func.value
            # `agent.run(state)` is the loop, not git: the raw runner is called on a repo.
            on_repo = isinstance(owner, ast.Name) and owner.id in ("repo", "self")
            on_repo |= isinstance(owner, ast.Attribute) and owner.attr == "repo"
            if attr in ("run_status",) or (attr == "run" and on_repo):
                found.append(f"{path.name}:{node.lineno} calls .{attr}(")
            if attr in ("system", "popen", "execv", "execvp", "spawnv") and (
                isinstance(owner, ast.Name) and owner.id == "os"
            ):
                found.append(f"{path.name}:{node.lineno} calls os.{attr}(")
    return found


def test_git_runs_only_in_the_git_layer() -> None:
    assert sorted(p.name for p in GIT_LAYER if not p.is_file()) == []
    offenders = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in GIT_LAYER
        for hit in _git_calls(path)
    ]
    assert offenders == []


def test_in_the_git_layer_only_the_runner_starts_a_process() -> None:
    offenders = [
        hit
        for path in sorted(GIT_LAYER - {GIT_RUNNER})
        for hit in _git_calls(path)
        if hit.split(" ", 1)[1].startswith(("imports", "calls os."))
    ]
    assert offenders == []


def test_the_git_speaker_check_sees_a_raw_call(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import subprocess\n"
        "def f(repo, session, agent):\n"
        "    repo.run('log')\n"
        "    session.repo.run_status('status')\n"
        "    agent.run(1)\n",
        "utf-8",
    )
    assert [hit.split(" ", 1)[1] for hit in _git_calls(sample)] == [
        "imports ['subprocess', '']",
        "calls .run(",
        "calls .run_status(",
    ]


# Test support that writes to stderr by design: a kill point says where it paused.
SPEAKS_FOR_TESTS = {PACKAGE / "faults.py"}
_OUTPUT_CALLS = {
    "print",
    "exit",
    "quit",
    "sys.exit",
    "os._exit",
    "sys.stdout.write",
    "sys.stderr.write",
    "click.echo",
    "click.secho",
}


def _output_calls(path: Path) -> list[str]:
    """Where `path` prints or exits: a call to print, exit or a stream's write."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in _OUTPUT_CALLS:
            found.append(f"{path.name}:{node.lineno} calls {ast.unparse(node.func)}(")
    return found


def test_only_the_cli_prints_or_exits() -> None:
    cli = {p for p in PACKAGE.glob("cli*.py")}
    assert PACKAGE / "cli.py" in cli
    offenders = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in cli | SPEAKS_FOR_TESTS
        for hit in _output_calls(path)
    ]
    assert offenders == []


def test_the_output_check_sees_a_print_and_an_exit(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import sys\ndef f():\n    print('x')\n    sys.exit(1)\n    log.print('fine')\n", "utf-8"
    )
    assert [hit.split(" ", 1)[1] for hit in _output_calls(sample)] == [
        "calls print(",
        "calls sys.exit(",
    ]


# Which may import which: each band imports only from itself and the bands below it.
# A new module must be placed in one (the README's module map names them).
BANDS: list[tuple[str, set[str]]] = [
    (
        "the command line",
        {"cli", "cli_setup", "cli_session", "cli_read", "cli_report", "cli_shared", "__main__"},
    ),
    (
        "a session's stages",
        {
            "lifecycle",
            "abandon",
            "reopen",
            "replay",
            "demo",
            "explore",
            "judge",
            "land",
            "sync",
            "review",
            "claim",
            "mainline",
        },
    ),
    (
        "what a session is; what sessions left",
        {"session", "history", "ledger", "map", "mappage", "transcript"},
    ),
    (
        "the agent and its tools",
        {
            "agent",
            "tools",
            "tooldefs",
            "toolinput",
            "budget",
            "state",
            "ending",
            "orient",
            "messages",
        },
    ),
    (
        "the corpus and its landscape",
        {
            "questions",
            "novelty",
            "similarity",
            "feedback",
            "remote",
            "skeleton",
            "index",
            "search",
            "loading",
            "check",
            "corpus",
            "fields",
            "view",
            "diffsubject",
        },
    ),
    (
        "the git layer",
        {
            "repo",
            "gitrun",
            "gitobjects",
            "gitrefs",
            "gitworktrees",
            "gitnotes",
            "gitremote",
            "gitlog",
            "refs",
        },
    ),
    (
        "foundations",
        {
            "agentgit",
            "errors",
            "stops",
            "scrub",
            "settings",
            "faults",
            "pricing",
            "github",
            "ci",
            "summary",
            "models",
            "models.base",
            "models.capabilities",
            "models.anthropic",
            "models.scripted",
        },
    ),
]


def test_each_module_imports_only_its_band_and_the_bands_below() -> None:
    modules = _modules()
    band_of = {
        f"agentgit.{name}" if name != "agentgit" else name: i
        for i, (_, names) in enumerate(BANDS)
        for name in names
    }
    assert sorted(set(modules) - set(band_of)) == []  # every module placed
    assert sorted(set(band_of) - set(modules)) == []  # and only real ones
    upward = [
        f"{name} ({BANDS[band_of[name]][0]}) imports {other} ({BANDS[band_of[other]][0]})"
        for name, path in sorted(modules.items())
        for other in sorted(_imports(path, set(modules)))
        if band_of[other] < band_of[name]
    ]
    assert upward == []
