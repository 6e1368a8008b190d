"""The text of a frontmatter document (DESIGN §1): splitting it from its body, its YAML
read with the line of every error and written back the way agentgit writes it, and the
coercion of its fields, each refusal a `Bad` the caller gives a path and a line."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from agentgit.core.errors import CorpusError
from agentgit.core.scrub import one_line

MAX_TAG = 64
MAX_TAGS = 20  # a piece's tags are a few labels, not a list a reader must page

_YAML = YAMLHandler()  # CSafeLoader / CSafeDumper when libyaml is present
# The same loader for what is read without the handler (a key's line, the map's heads).
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CLOSE_RE = re.compile(r"^-{3,}\s*$")


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Never write anchors: created and updated are often the very same date object."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# Lists of scalars in flow style (tags: [a, b]); no line wrapping of long summaries.
_DUMP: dict[str, Any] = {
    "Dumper": _Dumper,
    "sort_keys": False,
    "default_flow_style": None,
    "width": 1000,
}


class FrontmatterError(CorpusError):
    """A CorpusError that also carries where and why, so `check` can list it."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


# --- frontmatter text ------------------------------------------------------------------


def split(text: str, path: str) -> tuple[str, str]:
    """Split a document into (yaml, body). The yaml's line 0 is file line 2."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise FrontmatterError(path, 1, "no frontmatter: the file must start with a '---' line")
    for i in range(1, len(lines)):
        if _CLOSE_RE.match(lines[i]):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    raise FrontmatterError(path, 1, "frontmatter is not closed by a '---' line")


def load_yaml(fm: str, path: str) -> tuple[dict[str, Any], KeyLines]:
    try:
        data = _YAML.load(fm)
    except yaml.MarkedYAMLError as exc:
        raise FrontmatterError(path, *yaml_error(exc)) from None
    except yaml.YAMLError as exc:
        raise FrontmatterError(path, 1, f"bad YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontmatterError(path, 2, "frontmatter must be a mapping of keys to values")
    return data, KeyLines(fm)


def yaml_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """File line and reason of a YAML error (its marks count from the line after '---')."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 2 if mark is not None else 1
    reason = f"bad YAML: {exc.problem or exc.context}"
    ctx = exc.context_mark
    if exc.problem and exc.context and ctx is not None and ctx.line + 2 != line:
        reason += f" ({exc.context} at line {ctx.line + 2})"
    return line, reason


class KeyLines:
    """File line of each top-level key, computed only when an error needs it."""

    def __init__(self, fm: str) -> None:
        self._fm = fm
        self._lines: dict[str, int] | None = None

    def __call__(self, key: str) -> int:
        if self._lines is None:
            node = yaml.compose(self._fm, Loader=LOADER)
            pairs = node.value if isinstance(node, yaml.MappingNode) else []
            self._lines = {str(k.value): k.start_mark.line + 2 for k, _ in pairs}
        return self._lines.get(key, 1)


def body_of(rest: str) -> str:
    """The body without the blank lines that separate it from the frontmatter."""
    return rest.lstrip("\n").rstrip()


def dump(meta: dict[str, Any], body: str) -> str:
    fm = _YAML.export(meta, **_DUMP) if meta else ""
    body = body.strip("\n").rstrip()
    head = f"---\n{fm}\n---\n" if fm else "---\n---\n"
    return f"{head}\n{body}\n" if body else head


def survives_yaml(meta: dict[str, Any]) -> bool:
    """True when dumping and loading gives the same data back (no merge keys, no oddities)."""
    try:
        return bool(_YAML.load(_YAML.export(meta, **_DUMP)) == meta)
    except (yaml.YAMLError, UnicodeError, ValueError):
        return False


# --- field coercion --------------------------------------------------------------------


class Bad(Exception):
    """A field that cannot be used; the caller adds path and line."""


def as_line(value: object, what: str) -> str:
    """A text field (a title, a summary) on one line; a mapping, list or bool is Bad."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Bad(f"{what} must be text")
    return one_line(value)


def as_date(value: object, what: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for parse in (date.fromisoformat, lambda s: datetime.fromisoformat(s).date()):
            try:
                return parse(value.strip())
            except ValueError:
                continue
    raise Bad(f"{what} must be an ISO date (YYYY-MM-DD)")


def as_int(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise Bad(f"{what} must be a non-negative integer")


def as_sessions(value: object, *, lenient: bool) -> list[int]:
    if value is None:
        return []
    if lenient and not isinstance(value, list):
        value = [value]
    if not isinstance(value, list):
        raise Bad("sessions must be a list of session numbers")
    out = []
    for item in value:
        if lenient and isinstance(item, str) and item.strip().isdigit():
            item = int(item.strip())
        out.append(as_int(item, "sessions"))
    return sorted(set(out))


def as_tags(value: object, *, lenient: bool) -> list[str]:
    if value is None:
        return []
    if lenient and isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise Bad("tags must be a list of strings")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) and not (lenient and isinstance(item, int | float)):
            raise Bad("tags must be a list of strings")
        tag = " ".join(str(item).split()).lower() if lenient else str(item).strip()
        if len(tag) > MAX_TAG:
            raise Bad(f"tag too long ({len(tag)} chars, max {MAX_TAG}): {tag[:40]!r}...")
        if tag and tag not in out:
            out.append(tag)
        if len(out) > MAX_TAGS:
            raise Bad(f"too many tags (more than {MAX_TAGS})")
    return out


def check_plain(value: object, where: str) -> None:
    """Extras must survive a YAML round trip unchanged, so only plain data."""
    if value is None or isinstance(value, bool | int | str | date):
        if isinstance(value, datetime):
            raise Bad(f"{where}: use a date or a string, not a timestamp")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Bad(f"{where}: numbers must be finite")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise Bad(f"{where}: keys must be strings")
            check_plain(item, f"{where}.{key}")
        return
    raise Bad(f"{where}: unsupported value of type {type(value).__name__}")
