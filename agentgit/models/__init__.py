"""Model providers behind the protocol in ``agentgit.models.base``.

``make_model`` is the one place that picks and builds a provider. Providers are
imported lazily: the Anthropic SDK takes about a second to import, and commands
that never talk to a model (log, show, check) must not pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

# DEFAULT_MODEL is a current Sonnet-class model: in the SDK's ModelParam list and not
# in anthropic._data.DEPRECATED_MODELS (tests check both). It lives with the settings.
from agentgit.core.settings import DEFAULT_MODEL
from agentgit.models.base import Model

__all__ = ["DEFAULT_MODEL", "make_model"]

SCRIPTED_PREFIX = "scripted:"


def make_model(spec: str, settings: Mapping[str, Any] | Any = None) -> Model:
    """Build the model named by ``spec``.

    ``scripted:FILE`` replays turns from FILE offline; anything else is a model id for
    the Messages API. ``settings`` is a dict or a ``Settings`` object; used keys:
    ``max_retries``, ``timeout``, ``web_search`` and ``web_fetch`` (true, or an int
    ``max_uses``; 0 is off), ``thinking`` ("adaptive" / "between_tools"),
    ``thinking_display`` ("summarized" / "omitted"), ``effort`` (low … max), ``stream``
    (default true), ``base_url``. What the model is sent of thinking and effort is
    decided per model by ``agentgit.models.capabilities``.
    """
    if spec.startswith(SCRIPTED_PREFIX):
        from agentgit.models.scripted import ScriptedModel

        return ScriptedModel.from_file(Path(spec[len(SCRIPTED_PREFIX) :]))

    from agentgit.models.anthropic import AnthropicModel

    return AnthropicModel(
        spec or DEFAULT_MODEL,
        max_retries=int(_setting(settings, "max_retries", 4)),
        timeout=float(_setting(settings, "timeout", 600)),
        base_url=_setting(settings, "base_url", None) or None,
        server_tools=server_tools(settings),
        thinking=str(_setting(settings, "thinking", "adaptive")),
        thinking_display=str(_setting(settings, "thinking_display", "summarized")),
        effort=str(_setting(settings, "effort", "medium")),
        stream=bool(_setting(settings, "stream", True)),
    )


def _setting(settings: Any, key: str, default: Any) -> Any:
    if settings is None:
        return default
    if isinstance(settings, Mapping):
        return settings.get(key, default)
    return getattr(settings, key, default)


def server_tools(settings: Mapping[str, Any] | Any) -> list[dict[str, Any]]:
    """The server tool definitions switched on in settings (none by default)."""
    from agentgit.models import anthropic as provider  # cheap: no SDK import at module level

    tools = []
    for key, build in (
        ("web_search", provider.web_search_tool),
        ("web_fetch", provider.web_fetch_tool),
    ):
        uses = _max_uses(_setting(settings, key, None))
        if uses:
            tools.append(build(uses))
    return tools


def _max_uses(value: Any, default: int = 5) -> int:
    if value is True:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return max(0, value)
    return 0
