"""Claude (and any server that speaks the Messages API) through the official SDK.

Importing ``anthropic`` costs about a second, so this module imports it lazily and is
itself imported only by the code that builds a model (``agentgit.models.make_model``).

What the agent loop should do with each ``stop_reason`` this model returns as given:

- ``tool_use``: run every ``tool_use`` block and answer all of them, in order, with
  ``tool_result`` blocks in the next user message.
- ``end_turn`` / ``stop_sequence``: the model stopped without calling a tool; nudge it
  (a bounded number of times) to go on or judge.
- ``max_tokens``: the answer was cut. A trailing ``tool_use`` may be incomplete: do
  not run it; retry the step with more room, or tell the model it was cut off. Never
  drop the turn silently.
- ``pause_turn``: a server tool (web search/fetch) paused a long turn. Append the
  assistant content unchanged and call again with no new user message; the API
  resumes where it paused.
- ``refusal``: end the session as abandoned, with the refusal as the reason.
- ``model_context_window_exceeded``: the conversation no longer fits; end (judge)
  rather than retry.

Assistant content comes back as plain dicts with exactly the fields the API sent, so
thinking and redacted_thinking blocks (signature and all) can be passed back
untouched, as the API requires.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from agentgit.core.errors import AgentgitError, ModelError, ModelUnavailable, OutOfTime
from agentgit.core.scrub import one_line
from agentgit.models.base import ModelRequest, ModelResponse, ProgressFn, Usage
from agentgit.models.capabilities import request_shape

if TYPE_CHECKING:
    import anthropic

NO_KEY_MESSAGE = (
    "no API key: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), run `agentgit demo` for an "
    "offline scripted session, or point ANTHROPIC_BASE_URL at a local server (Ollama, llama.cpp)"
)
# Local servers (Ollama, llama.cpp) ignore the key, but the SDK refuses to send a
# request without one.
LOCAL_PLACEHOLDER_KEY = "agentgit-local-no-key"

# Server tool versions: the first GA versions, which every current model accepts
# and which need no code-execution container (the newer 2026 versions filter
# results through code execution, billed separately).
WEB_SEARCH_TYPE = "web_search_20250305"
WEB_FETCH_TYPE = "web_fetch_20250910"

EPHEMERAL = {"type": "ephemeral"}
MAX_BREAKPOINTS = 4
# The API looks back about 20 blocks from a breakpoint for an earlier cache entry.
# When more blocks than this were added since the last request, keep a breakpoint
# where that request ended so its entry is still found.
LOOKBACK_SAFE_BLOCKS = 18
_UNCACHEABLE = {"thinking", "redacted_thinking"}

# A stream that breaks after the response started is not retried by the SDK; we
# retry it ourselves (same max_retries), backing off from this delay.
MID_STREAM_BACKOFF = 0.5
PROGRESS_INTERVAL = 0.1  # seconds between "delta" progress events


def web_search_tool(max_uses: int = 5) -> dict[str, Any]:
    return {"type": WEB_SEARCH_TYPE, "name": "web_search", "max_uses": max_uses}


def web_fetch_tool(max_uses: int = 5) -> dict[str, Any]:
    return {"type": WEB_FETCH_TYPE, "name": "web_fetch", "max_uses": max_uses}


class AnthropicModel:
    """One assistant turn per ``complete()`` over the Messages API."""

    def __init__(
        self,
        model: str,
        *,
        max_retries: int = 4,
        timeout: float = 600,
        base_url: str | None = None,
        server_tools: list[dict[str, Any]] | None = None,
        thinking: str = "adaptive",
        thinking_display: str = "summarized",
        effort: str = "medium",
        stream: bool = True,
    ) -> None:
        self.name = model
        self.max_retries = max_retries
        self.server_tools = [dict(t) for t in server_tools or []]
        shape = request_shape(model, thinking, thinking_display, effort)
        self.thinking = shape.thinking
        self.output_config = shape.output_config
        # The agent's output room per turn, thinking included, and how far it may grow
        # after a reply is cut at that limit.
        self.turn_tokens = shape.turn_tokens
        self.max_output_tokens = shape.max_output
        self.stream = stream
        self.timeout = timeout
        self._client = _make_client(max_retries=max_retries, timeout=timeout, base_url=base_url)

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def complete(self, request: ModelRequest, progress: ProgressFn | None = None) -> ModelResponse:
        params = self.build_params(request)
        deadline = None if request.timeout is None else time.monotonic() + request.timeout
        try:
            message = self._call(params, progress, deadline)
        except _ProgressFailed as failed:  # the caller's own callback broke: not ours
            raise failed.error from None
        return _to_response(message, self.name)

    # --- the request ---------------------------------------------------------------------

    def build_params(self, request: ModelRequest) -> dict[str, Any]:
        """The keyword arguments for ``messages.create``/``stream``, caching marked.

        The caller's request is not modified: messages, blocks and tools are copied
        before cache_control is set (the transcript stores them without it).
        """
        params: dict[str, Any] = {
            "model": self.name,
            "max_tokens": request.max_tokens,
            "messages": _copy_messages(request.messages),
        }
        if request.system:
            params["system"] = [{"type": "text", "text": request.system}]
        tools = self._tools(request)
        if tools:
            params["tools"] = tools
        if request.allowed_tools is not None and tools:
            # Only the allowed tools are sent. Forcing a call ("any"/"tool") returns
            # 400 on current models (Sonnet/Opus 5.5), so the choice stays "auto" and
            # the restricted list does the restricting.
            params["tool_choice"] = {"type": "auto"}
        # Only what this model accepts (agentgit.models.capabilities): never forced tool
        # choice, sampling parameters, a thinking budget, "disabled" or a prefill.
        if self.thinking:
            params["thinking"] = dict(self.thinking)
        if self.output_config:
            params["output_config"] = dict(self.output_config)
        place_cache_breakpoints(params)
        return params

    def _tools(self, request: ModelRequest) -> list[dict[str, Any]]:
        # Order stays as given (client tools, then server tools): the cached prefix
        # starts with the tools, so any reordering would miss the cache.
        tools = [_without_cache_control(t) for t in [*request.tools, *self.server_tools]]
        if request.allowed_tools is None:
            return tools
        allowed = set(request.allowed_tools)
        return [t for t in tools if t.get("name") in allowed]

    # --- the call ------------------------------------------------------------------------

    def _call(
        self, params: dict[str, Any], progress: ProgressFn | None, deadline: float | None = None
    ) -> Any:
        import anthropic

        client = self._client
        if deadline is not None:  # every attempt of the SDK's is bounded by the deadline
            client = client.with_options(middleware=[_deadline_bound(deadline, self.timeout)])
        broken = 0
        while True:
            try:
                if self.stream:
                    return self._stream_once(client, params, progress, deadline)
                return client.messages.create(**params)
            except _StreamBroke as err:
                _check_deadline(deadline)
                broken += 1
                if broken > self.max_retries:
                    raise ModelUnavailable(
                        f"model API unavailable after {self.max_retries} retries: "
                        f"the response stream broke off ({err})"
                    ) from err
                time.sleep(min(MID_STREAM_BACKOFF * 2 ** (broken - 1), 8.0))
            except anthropic.APIError as err:
                _check_deadline(deadline)  # a timeout at the deadline is the budget's end
                raise self._translate(err) from err

    def _stream_once(
        self,
        client: anthropic.Anthropic,
        params: dict[str, Any],
        progress: ProgressFn | None,
        deadline: float | None,
    ) -> Any:
        import anthropic
        import httpx2

        # Entering the manager sends the request (the SDK retries it); errors there
        # are ordinary API errors. Failures while reading the stream are not retried
        # by the SDK, hence _StreamBroke.
        with client.messages.stream(**params) as stream:
            meter = _Meter(progress)
            try:
                for event in stream:
                    _check_deadline(deadline)  # a model that streams without end
                    meter.on_event(event)
                message = stream.get_final_message()
            except _ProgressFailed:
                raise
            except (
                anthropic.APIError,
                httpx2.HTTPError,
                ValueError,
                AssertionError,
                RuntimeError,
            ) as err:
                raise _StreamBroke(_one_line(err)) from err
        if message.stop_reason is None:  # ended without message_delta: truncated
            raise _StreamBroke("the stream ended before the message was complete")
        return message

    def _translate(self, err: anthropic.APIError) -> AgentgitError:
        import anthropic

        down = f"model API unavailable after {self.max_retries} retries"
        if isinstance(err, anthropic.APITimeoutError):
            return ModelUnavailable(f"{down}: the request timed out")
        if isinstance(err, anthropic.APIConnectionError):
            return ModelUnavailable(f"{down}: cannot reach {self.base_url} ({_cause(err)})")
        if not isinstance(err, anthropic.APIStatusError):
            return ModelError(f"model API error: {_one_line(err)}")
        status, detail = err.status_code, _api_message(err)
        if status == 401:
            return ModelError(
                "the API key was refused (401): check ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN"
            )
        if status == 403:
            return ModelError(f"the API key is not allowed to do this (403): {detail}")
        if status == 404:
            return ModelError(f"not found (404): {detail} (is the model '{self.name}' right?)")
        if status in (408, 409, 429) or status >= 500:
            return ModelUnavailable(f"{down}: {status} {detail}")
        return ModelError(f"the model API rejected the request ({status}): {detail}")


# --- the client ------------------------------------------------------------------------------


def _make_client(*, max_retries: int, timeout: float, base_url: str | None) -> anthropic.Anthropic:
    import anthropic

    options: dict[str, Any] = {"max_retries": max_retries, "timeout": timeout}
    if base_url:
        options["base_url"] = base_url
    try:
        # The SDK reads ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN / ANTHROPIC_BASE_URL
        # (and its profiles) itself; we only check that it found something.
        client = anthropic.Anthropic(**options)
        if client.api_key or client.auth_token or client.credentials is not None:
            return client
        if not _is_anthropic_host(str(client.base_url)):
            return anthropic.Anthropic(api_key=LOCAL_PLACEHOLDER_KEY, **options)
    except (anthropic.AnthropicError, ValueError, TypeError, OSError) as err:
        # a broken SDK profile, conflicting credentials, an unreadable token file
        raise ModelError(f"cannot configure the Anthropic client: {_one_line(err)}") from err
    raise ModelError(NO_KEY_MESSAGE)


def _is_anthropic_host(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host == "anthropic.com" or host.endswith(".anthropic.com")


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise OutOfTime("the wall-clock budget ran out during the model's turn")


def _deadline_bound(deadline: float, longest: float) -> Any:
    """SDK middleware (run once per attempt, retries included): no attempt starts past
    the deadline, and each may wait on the server at most until it."""

    def bound(request: Any, call_next: Any) -> Any:
        _check_deadline(deadline)
        left = max(deadline - time.monotonic(), 0.01)
        return call_next(request.copy(timeout=min(longest, left)))

    return bound


# --- prompt caching --------------------------------------------------------------------------


def _without_cache_control(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k != "cache_control"}


def _copy_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with their own content lists and block dicts (values shared), string
    content as one text block, and no stale cache_control.

    Strings are always turned into blocks, not only where a breakpoint lands, so a
    message looks the same in every request and the cached prefix keeps matching.
    """
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            blocks = [{"type": "text", "text": content}]
        else:
            blocks = [
                _without_cache_control(b) if isinstance(b, dict) else b for b in content or []
            ]
        out.append({**message, "content": blocks})
    return out


def _cacheable(message: dict[str, Any]) -> dict[str, Any] | None:
    """The last block of a message that may carry cache_control (not thinking, not
    empty text)."""
    for block in reversed(message.get("content") or []):
        if not isinstance(block, dict) or block.get("type") in _UNCACHEABLE:
            continue
        if block.get("type") == "text" and not block.get("text"):
            continue
        return block
    return None


def _previous_end(messages: list[dict[str, Any]]) -> tuple[int, int] | None:
    """(index of the message where the previous request ended, blocks added since).

    The previous request ended just before the last assistant message (the answer
    to it); everything from that assistant message on is new in this request.
    """
    for i in range(len(messages) - 1, 0, -1):
        if messages[i].get("role") == "assistant":
            added = sum(len(m.get("content") or []) for m in messages[i:])
            return i - 1, added
    return None


def place_cache_breakpoints(params: dict[str, Any]) -> list[str]:
    """Mark up to 4 cache breakpoints on the (already copied) params, in place.

    By priority: the moving breakpoint on the last message; an intermediate one where
    the previous request ended, when more blocks than the lookback reaches were added
    since; the orientation (first user message); the system prompt; the last tool.
    The tools breakpoint goes first when there are too many: the system breakpoint
    caches the tools too (they precede it in the prefix).
    Returns the names of the breakpoints placed, for tests and the benchmark.
    """
    messages = params.get("messages") or []
    candidates: list[tuple[str, dict[str, Any] | None]] = []
    if messages:
        candidates.append(("moving", _cacheable(messages[-1])))
        prev = _previous_end(messages)
        if prev is not None and prev[1] > LOOKBACK_SAFE_BLOCKS:
            candidates.append(("intermediate", _cacheable(messages[prev[0]])))
        first_user = next((m for m in messages if m.get("role") == "user"), None)
        if first_user is not None:
            candidates.append(("orientation", _cacheable(first_user)))
    system = params.get("system")
    if isinstance(system, list) and system:
        candidates.append(("system", system[-1]))
    tools = params.get("tools")
    if tools:
        candidates.append(("tools", tools[-1]))

    placed: list[str] = []
    seen: set[int] = set()
    for name, block in candidates:
        if block is None or id(block) in seen or len(placed) == MAX_BREAKPOINTS:
            continue
        seen.add(id(block))
        block["cache_control"] = dict(EPHEMERAL)
        placed.append(name)
    return placed


# --- the response ----------------------------------------------------------------------------


def _to_response(message: Any, model: str) -> ModelResponse:
    # to_dict() keeps only the fields the API sent (exclude_unset), under their API
    # names: exactly what must go back for thinking blocks. Top-level nulls are
    # dropped from blocks because some param types reject null for optional fields
    # (tool_use "caller"); nested values (tool input) are left alone.
    # warnings=False: a model's malformed tool input (a string, say) is ours to answer
    # as a tool error, not a serializer warning.
    raw = message.to_dict(mode="json", warnings=False)
    content = [
        {k: v for k, v in block.items() if v is not None} for block in raw.get("content") or []
    ]
    return ModelResponse(
        content=content,
        stop_reason=raw.get("stop_reason") or "end_turn",
        usage=usage_from_api(raw.get("usage")),
        model=raw.get("model") or model,
        raw=raw,
    )


def usage_from_api(usage: dict[str, Any] | None) -> Usage:
    usage = usage or {}
    server = usage.get("server_tool_use") or {}
    return Usage(
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        cache_read_input_tokens=int(usage.get("cache_read_input_tokens") or 0),
        cache_creation_input_tokens=int(usage.get("cache_creation_input_tokens") or 0),
        server_tool_requests=int(server.get("web_search_requests") or 0)
        + int(server.get("web_fetch_requests") or 0),
    )


# --- progress and errors ---------------------------------------------------------------------


class _StreamBroke(Exception):
    """The stream failed after the response had started (not retried by the SDK)."""


class _ProgressFailed(Exception):
    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _Meter:
    """Turns stream events into cheap progress events.

    ``block`` {"index", "type", "name"?} when a content block starts (the step in
    hand: a tool name, thinking, text); ``delta`` {"chars", "kind"} at most every
    PROGRESS_INTERVAL seconds, with the characters received so far this turn.
    """

    def __init__(self, progress: ProgressFn | None) -> None:
        self.progress = progress
        self.chars = 0
        self.last_emit = 0.0

    def on_event(self, event: Any) -> None:
        if self.progress is None:
            return
        kind = getattr(event, "type", None)
        if kind == "content_block_start":
            block = event.content_block
            payload = {"index": event.index, "type": block.type}
            if getattr(block, "name", None):
                payload["name"] = block.name
            self._emit("block", payload)
        elif kind == "content_block_delta":
            delta = event.delta
            text = (
                getattr(delta, "text", None)
                or getattr(delta, "partial_json", None)
                or getattr(delta, "thinking", None)
                or ""
            )
            self.chars += len(text)
            now = time.monotonic()
            if now - self.last_emit >= PROGRESS_INTERVAL:
                self.last_emit = now
                self._emit("delta", {"chars": self.chars, "kind": delta.type})

    def _emit(self, name: str, payload: dict[str, Any]) -> None:
        assert self.progress is not None
        try:
            self.progress(name, payload)
        except Exception as err:  # noqa: BLE001 - re-raised unchanged by complete()
            raise _ProgressFailed(err) from err


def _one_line(err: BaseException | str, limit: int = 300) -> str:
    """An error on one line for a message: its text, or its type when it has none."""
    return one_line(err, limit) or type(err).__name__


def _cause(err: BaseException) -> str:
    inner = err.__cause__ or err.__context__
    return _one_line(inner if inner is not None else err, 160)


def _api_message(err: Any) -> str:
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and inner.get("message"):
            return _one_line(str(inner["message"]))
    return _one_line(getattr(err, "message", "") or str(err))
