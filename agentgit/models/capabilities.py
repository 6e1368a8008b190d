"""What each Claude model accepts: thinking types, display, effort levels, output room.

A small table kept beside the price table (``agentgit/pricing.py``), from the same
sources: the models overview, each model's "What's new" and migration pages, and the
effort and thinking pages of platform.claude.com (read 2026-12-01). The SDK's
``ModelCapabilities`` (``client.models.retrieve``) says the same per model, but asking
costs a request before every session and local servers do not answer it; the table
answers offline, and an id it does not know (a local model) gets no thinking or effort
parameters at all, which every server accepts.

Why it matters: on the current generation (Sonnet 5.5, Opus 5.5, the Fable 5 models)
the text a model writes between tool calls comes back in ``thinking`` blocks whose
text is empty under the default display ("omitted"). agentgit asks for a display that
returns it, because that text is the reasoning each exploration commit carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

THINKING_TYPES = ("adaptive", "between_tools")
DISPLAYS = ("summarized", "omitted")
EFFORTS = ("low", "medium", "high", "xhigh", "max")
# between_tools turns up-front thinking off; the API refuses it above high effort.
BETWEEN_TOOLS_EFFORTS = ("low", "medium", "high")

# Output room of one turn, thinking included (thinking tokens count toward max_tokens):
# enough for a long draft after the thinking that effort brings.
TURN_TOKENS = {"low": 16_000, "medium": 24_000, "high": 32_000, "xhigh": 64_000, "max": 64_000}
BETWEEN_TOOLS_TURN_TOKENS = 16_000
PLAIN_TURN_TOKENS = 8_192  # a model without thinking (older Claude, a local server)


@dataclass(frozen=True)
class Traits:
    thinking: tuple[str, ...] = ()  # accepted thinking.type values of THINKING_TYPES
    display: bool = False  # accepts thinking.display
    efforts: tuple[str, ...] = ()  # accepted output_config.effort values
    max_output: int = 64_000


_ALL = EFFORTS
_NO_XHIGH = ("low", "medium", "high", "max")
_CURRENT = Traits(("adaptive",), True, _ALL, 128_000)

# Longest prefix first: "claude-opus-4-5" must not match "claude-opus-4".
_TABLE: list[tuple[str, Traits]] = [
    ("claude-sonnet-5-5", Traits(("adaptive", "between_tools"), True, _ALL, 128_000)),
    ("claude-opus-5-5", _CURRENT),  # adaptive, always on
    ("claude-haiku-5-5", _CURRENT),
    ("claude-fable-5-", _CURRENT),  # 5-1, 5-2
    ("claude-mythos-5-", _CURRENT),
    ("claude-fable-5", Traits(("adaptive",), True, _ALL, 128_000)),
    ("claude-mythos-5", Traits(("adaptive",), True, _ALL, 128_000)),
    ("claude-mythos-preview", Traits(("adaptive",), True, _NO_XHIGH, 128_000)),
    ("claude-opus-5", Traits(("adaptive",), True, _ALL, 128_000)),
    ("claude-sonnet-5", Traits(("adaptive",), True, _ALL, 128_000)),
    ("claude-opus-4-8", Traits(("adaptive",), True, _ALL, 128_000)),
    ("claude-opus-4-7", Traits(("adaptive",), True, _ALL, 128_000)),
    ("claude-opus-4-6", Traits(("adaptive",), True, _NO_XHIGH, 128_000)),
    ("claude-sonnet-4-6", Traits(("adaptive",), True, _NO_XHIGH, 128_000)),
    # Extended thinking only (a caller-set budget): agentgit sends no thinking and the
    # reasoning arrives as text, as it always did on these models.
    ("claude-opus-4-5", Traits((), False, ("low", "medium", "high"), 64_000)),
    ("claude-sonnet-4-5", Traits((), False, (), 64_000)),
    ("claude-haiku-4-5", Traits((), False, (), 64_000)),
]
_DATED = re.compile(r"-\d{8}$")


def traits_for(model: str) -> Traits | None:
    """The model's traits, or None for an id the table does not know (a local model)."""
    name = _DATED.sub("", model.strip().lower())
    for prefix, traits in _TABLE:
        # "claude-fable-5-" stands for the point releases (5-1, 5-2), not any suffix
        if name == prefix or (
            prefix.endswith("-") and name.startswith(prefix) and name[len(prefix) :][:1].isdigit()
        ):
            return traits
        if name.startswith(prefix + "-") and not name[len(prefix) + 1 :][:1].isdigit():
            return traits  # a suffixed alias ("claude-sonnet-5-5-latest")
    return None


@dataclass(frozen=True)
class RequestShape:
    """The thinking-related parameters one model gets, and the output room of a turn."""

    thinking: dict[str, Any] | None
    output_config: dict[str, Any] | None
    turn_tokens: int
    max_output: int | None  # the model's ceiling (None: unknown)


def request_shape(model: str, thinking: str, display: str, effort: str) -> RequestShape:
    """What to send ``model`` for the chosen settings. Only what the model accepts is
    sent: a model that does not take ``between_tools`` thinks adaptively instead, one
    without thinking types gets none (its reasoning arrives as text), and effort goes
    only where that level exists."""
    traits = traits_for(model)
    if traits is None:
        return RequestShape(None, None, PLAIN_TURN_TOKENS, None)
    kind = (
        thinking
        if thinking in traits.thinking
        else ("adaptive" if "adaptive" in traits.thinking else None)
    )
    if kind == "between_tools" and effort not in BETWEEN_TOOLS_EFFORTS:
        kind = "adaptive"
    config: dict[str, Any] | None = None
    if kind == "adaptive":
        config = {"type": "adaptive", **({"display": display} if traits.display else {})}
    elif kind == "between_tools":
        config = {"type": "between_tools"}  # its progress updates carry their text
    output = {"effort": effort} if effort in traits.efforts else None
    if kind == "adaptive":
        tokens = TURN_TOKENS.get(effort, TURN_TOKENS["high"])
    elif kind == "between_tools":
        tokens = BETWEEN_TOOLS_TURN_TOKENS
    else:
        tokens = PLAIN_TURN_TOKENS
    return RequestShape(config, output, min(tokens, traits.max_output), traits.max_output)
