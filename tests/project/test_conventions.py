"""The project's conventions, kept by the test suite (so by CI): ruff's lint and format,
and mypy over the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", "agentgit"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_code_keeps_the_conventions(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=TOP, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_every_trailer_name_is_spelled_once() -> None:
    """A trailer name written twice can drift: a writer's key would no longer be found by
    its reader. Only core/trailers.py spells an ``Agentgit-`` name in a string."""
    import re

    literal = re.compile(r"""["']Agentgit-[A-Za-z]""")
    home = TOP / "agentgit" / "core" / "trailers.py"
    spelled = [
        f"{path.relative_to(TOP)}:{n}"
        for path in sorted((TOP / "agentgit").rglob("*.py"))
        if path != home
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert spelled == []


def _strings(path: Path, keys: bool = True) -> list[tuple[int, str | bytes]]:
    """The string constants of a module, f-string parts and bytes literals included,
    docstrings left out (a docstring may draw a ref's shape for the reader; it names
    nothing git reads). With `keys=False`, a mapping's keys and subscripts are left
    out too: field names, which may happen to read like a value (a cache's "skipped")."""
    import ast

    tree = ast.parse(path.read_text("utf-8"))
    skip = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    if not keys:
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                skip |= {id(k) for k in node.keys if k is not None}
            elif isinstance(node, ast.Subscript):
                skip.add(id(node.slice))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str | bytes)
        and id(node) not in skip
    ]


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def test_the_spelling_checks_read_bytes_literals(tmp_path: Path) -> None:
    """A pattern over a blob's raw text is a bytes literal: the checks above see it."""
    module = tmp_path / "m.py"
    module.write_text(
        '"""Doc: refs/heads/x."""\nA = rb"^outcome: crystallized"\nB = b"refs/heads/main"\n'
    )
    assert _strings(module) == [(2, b"^outcome: crystallized"), (3, b"refs/heads/main")]


def test_every_ref_name_is_spelled_once() -> None:
    """A ref built by hand can drift from the one its reader looks for: only core/refs.py
    spells `refs/` in a string; elsewhere a ref comes from its helpers."""
    home = TOP / "agentgit" / "core" / "refs.py"
    spelled = [
        f"{path.relative_to(TOP)}:{n}: {text!r}"
        for path in sorted((TOP / "agentgit").rglob("*.py"))
        if path != home
        for n, text in _strings(path)
        if "refs/" in _text(text)
    ]
    assert spelled == []


def test_every_outcome_is_an_outcome_member() -> None:
    """An outcome spelled as a bare string can drift from the enum its readers compare
    with: only core/outcome.py spells one (a mapping's key that reads like one is a field
    name, not an outcome). A bytes literal is a pattern over a file's raw text, never
    words for people: one that names an outcome anywhere in it (``outcome:
    crystallized``) is built from the member."""
    import re

    from agentgit.core.outcome import Outcome

    home = TOP / "agentgit" / "core" / "outcome.py"
    values = {o.value for o in Outcome}
    named = re.compile(rf"\b(?:{'|'.join(map(re.escape, values))})\b")
    spelled = [
        f"{path.relative_to(TOP)}:{n}: {text!r}"
        for path in sorted((TOP / "agentgit").rglob("*.py"))
        if path != home
        for n, text in _strings(path, keys=False)
        if text in values or (isinstance(text, bytes) and named.search(_text(text)))
    ]
    assert spelled == []


def test_every_test_file_has_a_basename_of_its_own() -> None:
    # The test folders are not packages: pytest imports each file by its basename, so
    # two files of one name in two folders fail CI's collection of a clean clone.
    seen: dict[str, list[str]] = {}
    for path in sorted((TOP / "tests").rglob("test_*.py")):
        seen.setdefault(path.name, []).append(str(path.relative_to(TOP)))
    assert {name: paths for name, paths in seen.items() if len(paths) > 1} == {}
