"""A fake Anthropic Messages API on loopback, for tests and benchmarks.

The real ``anthropic`` SDK talks HTTP to it (``ANTHROPIC_BASE_URL``), so tests
exercise the SDK's own retries, SSE parsing and error mapping rather than a mock.

Each test scripts a queue of entries, answered in order, one per request:

- an assistant message dict (``content``, ``stop_reason``, optional ``usage``),
  built with :func:`text_turn` / :func:`tool_use_turn`; sent as JSON or, when the
  request says ``"stream": true``, as a proper SSE stream. A message entry may
  carry ``"cut_after": N`` to drop the connection after N SSE events.
- ``{"status": 429|500|529|..., "body": {...}, "headers": {...}}``: an error
  response (with ``retry-after-ms: 1`` so the SDK's backoff stays fast).
- ``{"drop": True}``: close the connection without answering.
- ``{"stream_error": {...}}``: start a stream, then send an SSE ``error`` event.

Any entry may carry ``"delay": seconds``: the server waits that long before answering
(a hung or slow model; stopping the fake ends the wait); a streamed message entry
``"event_delay": seconds`` between its SSE events (a model that generates without end).

Every request body received is kept in ``api.requests`` (parsed JSON) for
assertions. Requests that the real API would reject for shape reasons (unknown fields,
a missing max_tokens, more than 4 cache breakpoints, a field a content block or a tool
does not take, a tool name outside the service's pattern, a thinking block that was
altered, sits in a user message, or is not first (or is last) in its assistant message,
a tool_use left unanswered, a thinking budget not below
max_tokens, forced tool choice, with thinking always) get a 400, so mistakes show up
here rather than against Claude.

For the current model ids (Sonnet 5.5, Opus 5.5, Haiku 5.5, the Fable and Mythos 5.x
models: :func:`current_generation`) the fake answers as those models do: the text a
scripted turn writes before a tool call comes back as a ``thinking`` block, empty
under the default display ("omitted") and with its text under ``summarized`` or
``between_tools``, signed. Every thinking block sent back must carry a signature the
fake issued, for the same model, the same text and the same conversation before it
(400 otherwise), and the settings these models refuse get a 400: forced tool choice,
sampling parameters, thinking ``disabled`` or with a budget, an assistant prefill,
``between_tools`` where it is not accepted. Older ids keep the old shape (text blocks).
An entry with ``"as_is": True`` is served unchanged whatever the model.

Optionally an ``accountant`` (see :class:`CacheAccountant`) replaces the input side
of each response's usage with prompt-cache accounting after the documented rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

FAKE_KEY = "sk-ant-test-0123456789abcdefghijklmnop"
DROP: dict[str, Any] = {"drop": True}

Entry = dict[str, Any]
Accountant = Callable[[dict[str, Any]], dict[str, int]]


# --- builders for scripted entries -----------------------------------------------------


def text_turn(
    text: str, *, stop_reason: str = "end_turn", usage: dict[str, Any] | None = None
) -> Entry:
    """An assistant turn with one text block."""
    return _message([{"type": "text", "text": text}], stop_reason, usage)


def tool_use_turn(
    name: str,
    input: dict[str, Any] | Any,
    *,
    text: str | None = None,
    id: str | None = None,
    usage: dict[str, Any] | None = None,
    thinking: list[dict[str, Any]] | None = None,
) -> Entry:
    """An assistant turn that calls one client tool (optionally after thinking/text)."""
    blocks: list[dict[str, Any]] = list(thinking or [])
    if text:
        blocks.append({"type": "text", "text": text})
    tool_id = id or "toolu_" + hashlib.sha1(json.dumps([name, input]).encode()).hexdigest()[:20]
    blocks.append({"type": "tool_use", "id": tool_id, "name": name, "input": input})
    return _message(blocks, "tool_use", usage)


def message_turn(
    blocks: list[dict[str, Any]], stop_reason: str, usage: dict[str, Any] | None = None
) -> Entry:
    """An assistant turn with arbitrary content blocks."""
    return _message(blocks, stop_reason, usage)


def thinking_block(thinking: str, signature: str | None = None) -> dict[str, Any]:
    sig = signature or "sig-" + hashlib.sha256(thinking.encode()).hexdigest()
    return {"type": "thinking", "thinking": thinking, "signature": sig}


def redacted_thinking_block(data: str) -> dict[str, Any]:
    return {"type": "redacted_thinking", "data": data}


def error(status: int, message: str | None = None, *, retry_after_ms: int | None = 1) -> Entry:
    kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        500: "api_error",
        529: "overloaded_error",
    }
    kind = kinds.get(status, "api_error")
    headers = {} if retry_after_ms is None else {"retry-after-ms": str(retry_after_ms)}
    body = {"type": "error", "error": {"type": kind, "message": message or kind}}
    return {"status": status, "body": body, "headers": headers}


def _message(blocks: list[dict[str, Any]], stop_reason: str, usage: dict[str, Any] | None) -> Entry:
    return {"content": blocks, "stop_reason": stop_reason, "usage": usage}


# --- the current generation ---------------------------------------------------------------

_CURRENT_PREFIXES = (
    "claude-sonnet-5-5",
    "claude-opus-5-5",
    "claude-haiku-5-5",
    "claude-fable-5-",
    "claude-mythos-5-",
)
_BETWEEN_TOOLS_MODELS = ("claude-sonnet-5-5",)
_EFFORTS = ("low", "medium", "high", "xhigh", "max")
CURRENT_MAX_OUTPUT = 128_000  # these models' output ceiling (streaming requests)
_SIGNING_KEY = b"fake-messages-api"


def current_generation(model: str) -> bool:
    return model.startswith(_CURRENT_PREFIXES)


# Output ceilings of the other Claude ids the tests use (the models overview); an id
# not here (a local model) gets none.
_OLDER_MAX_OUTPUT = re.compile(r"claude-(?:opus|sonnet|haiku)-4-5")  # 64K; later: 128K
_LATER_MAX_OUTPUT = re.compile(
    r"claude-(?:(?:opus|sonnet|fable|mythos)-5|opus-4-[678]|sonnet-4-6)(?![0-9])"
)


def max_output(model: str) -> int | None:
    """The model's output ceiling: max_tokens above it is refused."""
    if current_generation(model):
        return CURRENT_MAX_OUTPUT
    if _OLDER_MAX_OUTPUT.match(model):
        return 64_000
    return 128_000 if _LATER_MAX_OUTPUT.match(model) else None


def _canonical(messages: list[dict[str, Any]]) -> str:
    """The conversation as the API would bind it: blocks without cache_control."""

    def clean(content: Any) -> Any:
        if isinstance(content, str):
            return [{"type": "text", "text": content}]
        return [
            {k: v for k, v in b.items() if k != "cache_control"} if isinstance(b, dict) else b
            for b in content or []
        ]

    return json.dumps(
        [{"role": m.get("role"), "content": clean(m.get("content"))} for m in messages],
        sort_keys=True,
        ensure_ascii=False,
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def sign_thinking(model: str, full: str, shown: str, prefix: list[dict[str, Any]]) -> str:
    """A signature that carries what the block was issued with (like the real one, which
    carries the encrypted full thinking), so any process can check it."""
    payload = base64.urlsafe_b64encode(
        json.dumps(
            {"m": model, "t": full, "d": _digest(shown), "p": _digest(_canonical(prefix))}
        ).encode()
    ).decode()
    mac = hmac.new(_SIGNING_KEY, payload.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{payload}.{mac}"


def _read_signature(signature: str) -> dict[str, Any] | None:
    payload, _, mac = signature.rpartition(".")
    good = hmac.new(_SIGNING_KEY, payload.encode(), hashlib.sha256).hexdigest()[:32]
    if not payload or not hmac.compare_digest(mac, good):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _shown(body: dict[str, Any], full: str) -> str:
    thinking = body.get("thinking") or {}
    if thinking.get("type") == "between_tools":
        return full  # progress updates come back with their text
    return full if thinking.get("display") == "summarized" else ""


def _as_current_model(content: list[dict[str, Any]], body: dict[str, Any]) -> list[Any]:
    """A scripted turn as a current model returns it: text written before a tool call
    comes back in a signed thinking block (empty unless the display returns it); text
    after the last call (the answer) stays text."""
    model = str(body.get("model"))
    prefix = body.get("messages") or []
    last_call = max(
        (i for i, b in enumerate(content) if isinstance(b, dict) and b.get("type") == "tool_use"),
        default=-1,
    )
    out: list[Any] = []
    for i, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "thinking" or (kind == "text" and i < last_call):
            full = str(block.get("thinking" if kind == "thinking" else "text", ""))
            shown = _shown(body, full)
            out.append(
                {
                    "type": "thinking",
                    "thinking": shown,
                    "signature": sign_thinking(model, full, shown, prefix),
                }
            )
        else:
            out.append(block)
    return out


def _refused_by_current_models(body: dict[str, Any]) -> str | None:
    """What Sonnet 5.5, Opus 5.5 and the Fable 5 models answer with 400."""
    model = str(body.get("model"))
    sampling = [k for k in ("temperature", "top_p", "top_k") if k in body]
    if sampling:
        return f"{', '.join(sampling)}: sampling parameters are not supported on {model}"
    thinking = body.get("thinking")
    if thinking is not None:
        kind = thinking.get("type")
        if kind == "disabled":
            return "thinking type 'disabled' is not supported on this model; use between_tools"
        if kind == "enabled" or "budget_tokens" in thinking:
            return "thinking budgets are not supported on this model; use adaptive thinking"
        if kind not in ("adaptive", "between_tools"):
            return f"thinking.type: unknown value {kind!r}"
        if kind == "between_tools" and not model.startswith(_BETWEEN_TOOLS_MODELS):
            return f"thinking type 'between_tools' is not supported on {model}"
        if thinking.get("display") not in (None, "summarized", "omitted"):
            return f"thinking.display: unsupported value {thinking.get('display')!r}"
    effort = (body.get("output_config") or {}).get("effort")
    if effort is not None and effort not in _EFFORTS:
        return f"output_config.effort: unknown value {effort!r}"
    if (thinking or {}).get("type") == "between_tools" and effort in ("xhigh", "max"):
        return f"between_tools is not supported at effort {effort}"
    messages = body.get("messages") or []
    if (
        messages
        and messages[-1].get("role") == "assistant"
        and not any(
            isinstance(b, dict) and b.get("type") == "server_tool_use"
            for b in messages[-1].get("content") or []
        )
    ):
        return "assistant message prefill is not supported on this model"
    return _bad_thinking_block(model, messages)


def _bad_thinking_block(model: str, messages: list[dict[str, Any]]) -> str | None:
    for i, message in enumerate(messages):
        if message.get("role") != "assistant" or not isinstance(message.get("content"), list):
            continue
        for j, block in enumerate(message["content"]):
            if not isinstance(block, dict) or block.get("type") != "thinking":
                continue
            where = f"messages.{i}.content.{j}"
            issued = _read_signature(str(block.get("signature") or ""))
            if issued is None:
                return f"{where}: Invalid `signature` in `thinking` block"
            if issued["d"] != _digest(str(block.get("thinking", ""))):
                return f"{where}: thinking blocks must be passed back unmodified"
            # The real API drops a block its model cannot read; this fake refuses it so
            # that a client which sends another model's blocks is seen to.
            if issued["m"] != model:
                return f"{where}: the `thinking` block was written by {issued['m']}, not {model}"
            if issued["p"] != _digest(_canonical(messages[:i])):
                return (
                    f"{where}: Invalid `signature` in `thinking` block. The block is bound "
                    "to a different conversation. Remove the block, or set "
                    '`thinking.block_binding.prefix_mismatch_behavior` to "drop_block".'
                )
    return None


# --- the server ---------------------------------------------------------------------------


class FakeAPI:
    """A scripted Messages API server on 127.0.0.1 (ephemeral port)."""

    def __init__(
        self,
        entries: list[Entry] | None = None,
        *,
        accountant: Accountant | None = None,
        responder: Callable[[dict[str, Any]], Entry] | None = None,
        reject_forced_tool_choice: bool = True,
    ) -> None:
        self.script: deque[Entry] = deque(entries or [])
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.rejections: list[str] = []
        self.responses: list[dict[str, Any]] = []  # every message served, usage included
        self.accountant = accountant
        self.responder = responder  # answers when the script is empty (benchmarks)
        self.reject_forced_tool_choice = reject_forced_tool_choice
        self._issued_thinking: dict[str, str] = {}  # signature -> thinking text
        self._lock = threading.Lock()
        self._counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> FakeAPI:
        self._server = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        # a short poll interval: shutdown() waits for the loop to notice
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def push(self, *entries: Entry) -> None:
        with self._lock:
            self.script.extend(entries)

    @property
    def remaining(self) -> int:
        return len(self.script)

    # request handling (called from server threads)
    def _next(self, body: dict[str, Any]) -> Entry:
        with self._lock:
            self.requests.append(body)
            problem = self._validate(body)
            if problem:
                self.rejections.append(problem)
                return error(400, problem, retry_after_ms=None)
            if self.script:
                return self.script.popleft()
        if self.responder is not None:
            return self.responder(body)
        return error(400, "fake api: the script is exhausted", retry_after_ms=None)

    def _complete_message(self, entry: Entry, body: dict[str, Any]) -> dict[str, Any]:
        model = str(body.get("model", "fake"))
        if current_generation(model) and not entry.get("as_is"):
            entry = {**entry, "content": _as_current_model(entry["content"], body)}
        with self._lock:
            self._counter += 1
            n = self._counter
            for block in entry["content"]:
                if block.get("type") == "thinking":
                    self._issued_thinking[block["signature"]] = block["thinking"]
        usage = dict(entry.get("usage") or {})
        usage.setdefault("input_tokens", approx_tokens(json.dumps(body)))
        usage.setdefault("output_tokens", approx_tokens(json.dumps(entry["content"])))
        usage.setdefault("cache_creation_input_tokens", 0)
        usage.setdefault("cache_read_input_tokens", 0)
        if self.accountant is not None:
            usage.update(self.accountant(body))
        message = {
            "id": f"msg_fake_{n:04d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "fake"),
            "content": entry["content"],
            "stop_reason": entry["stop_reason"],
            "stop_sequence": None,
            "usage": usage,
        }
        with self._lock:
            self.responses.append(message)
        return message

    def _validate(self, body: dict[str, Any]) -> str | None:
        """The shape rules of the real API that a client can get wrong."""
        problem = _bad_fields(body) or _bad_blocks(body) or _bad_thinking_config(body)
        if problem:
            return problem
        blocks = list(_all_blocks(body))
        marked = [b for b in blocks if isinstance(b, dict) and b.get("cache_control")]
        if body.get("cache_control"):  # automatic caching takes one of the four slots
            marked.append(body)
        if len(marked) > 4:
            return f"A maximum of 4 blocks with cache_control may be provided. Found {len(marked)}."
        for b in marked:
            if b.get("type") in ("thinking", "redacted_thinking"):
                return "cache_control cannot be set on thinking blocks"
            if b.get("type") == "text" and not b.get("text"):
                return "cache_control cannot be set for empty text blocks"
        if current_generation(str(body.get("model", ""))):
            problem = _refused_by_current_models(body)
            if problem:
                return problem
        else:
            for b in blocks:
                if isinstance(b, dict) and b.get("type") == "thinking":
                    issued = self._issued_thinking.get(b.get("signature", ""))
                    if issued is not None and issued != b.get("thinking"):
                        return "thinking blocks must be passed back unmodified"
        choice = body.get("tool_choice") or {}
        if choice.get("type") in ("any", "tool"):
            # Current models always think; any model refuses a forced call with thinking.
            thinks = current_generation(str(body.get("model", ""))) or body.get("thinking")
            if thinks and (body.get("thinking") or {}).get("type") != "disabled":
                return "forced tool use (tool_choice any or tool) is not supported with thinking"
            if self.reject_forced_tool_choice:
                return "forced tool use is not supported with this model"
        return conversation_problem(body.get("messages") or [])


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away (fault tests, a closed stream, keep-alive sockets at
        # shutdown) is normal here; anything else is still reported.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


# The request fields of the Messages API; anything else is refused ("Extra inputs are
# not permitted"), as are fields other than role and content on a message.
_REQUEST_FIELDS = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "metadata",
        "stop_sequences",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
        "service_tier",
        "container",
        "mcp_servers",
        "context_management",
        "inference_geo",
        "cache_control",
    }
)
_MESSAGE_FIELDS = frozenset({"role", "content"})


def _bad_fields(body: dict[str, Any]) -> str | None:
    """Unknown fields, a missing or out-of-range max_tokens, a message without a role."""
    for key in sorted(set(body) - _REQUEST_FIELDS):
        return f"{key}: Extra inputs are not permitted"
    for key in ("model", "messages", "max_tokens"):
        if key not in body:
            return f"{key}: Field required"
    tokens, model = body["max_tokens"], str(body["model"])
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
        return f"max_tokens: Input should be a positive integer, got {tokens!r}"
    ceiling = max_output(model)
    if ceiling is not None and tokens > ceiling:
        return (
            f"max_tokens: {tokens} > {ceiling}, which is the maximum allowed number of "
            f"output tokens for {model}"
        )
    for i, message in enumerate(body.get("messages") or []):
        if not isinstance(message, dict):
            return f"messages.{i}: Input should be an object"
        for key in sorted(set(message) - _MESSAGE_FIELDS):
            return f"messages.{i}.{key}: Extra inputs are not permitted"
        if message.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
    return None


# The fields each content block type takes (the SDK's *BlockParam types); another field
# is refused. Block types not named here (server tool results, ...) are not checked.
_BLOCK_FIELDS: dict[str, frozenset[str]] = {
    "text": frozenset({"type", "text", "cache_control", "citations"}),
    "image": frozenset({"type", "source", "cache_control", "transformations"}),
    "document": frozenset({"type", "source", "cache_control", "citations", "context", "title"}),
    "tool_use": frozenset(
        {"type", "id", "name", "input", "cache_control", "caller", "toolset_name"}
    ),
    "tool_result": frozenset(
        {"type", "tool_use_id", "content", "is_error", "cache_control", "toolset_name"}
    ),
    "thinking": frozenset({"type", "thinking", "signature"}),
    "redacted_thinking": frozenset({"type", "data"}),
}
_CUSTOM_TOOL_FIELDS = frozenset(
    {
        "type",
        "name",
        "description",
        "input_schema",
        "cache_control",
        "strict",
        "defer_loading",
        "input_examples",
        "allowed_callers",
        "eager_input_streaming",
    }
)
# The service's pattern for a client tool's name (its 400 names it; it was {1,64} before).
TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,128}")


def _extra_block_field(where: str, block: Any) -> str | None:
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    allowed = _BLOCK_FIELDS.get(str(kind))
    if allowed is None:
        return None
    for key in sorted(set(block) - allowed):
        return f"{where}.{kind}.{key}: Extra inputs are not permitted"
    if kind == "tool_result" and isinstance(block.get("content"), list):
        for k, inner in enumerate(block["content"]):
            if problem := _extra_block_field(f"{where}.tool_result.content.{k}", inner):
                return problem
    return None


def _bad_blocks(body: dict[str, Any]) -> str | None:
    """A field a content block or a client tool does not take; a tool name outside the
    service's pattern, or used twice; a tool's input_schema missing or not an object."""
    names: set[Any] = set()
    for i, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or tool.get("type") not in (None, "custom"):
            continue  # a server tool (web_search_..., ...) has its own fields
        for key in sorted(set(tool) - _CUSTOM_TOOL_FIELDS):
            return f"tools.{i}.custom.{key}: Extra inputs are not permitted"
        if not TOOL_NAME.fullmatch(str(tool.get("name"))):
            return f"tools.{i}.custom.name: String should match pattern '^{TOOL_NAME.pattern}$'"
        if tool["name"] in names:
            return "tools: Tool names must be unique."
        names.add(tool["name"])
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return f"tools.{i}.custom.input_schema.type: Input should be 'object'"
    system = body.get("system")
    for j, block in enumerate(system if isinstance(system, list) else []):
        if problem := _extra_block_field(f"system.{j}", block):
            return problem
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content")
        for j, block in enumerate(content if isinstance(content, list) else []):
            if problem := _extra_block_field(f"messages.{i}.content.{j}", block):
                return problem
    return None


def _bad_thinking_config(body: dict[str, Any]) -> str | None:
    """Extended thinking's own rules (models that take a budget): budget_tokens at least
    1024 and below max_tokens; no temperature or top_k."""
    thinking = body.get("thinking")
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled":
        return None
    if current_generation(str(body.get("model", ""))):
        return None  # these refuse budgets outright (_refused_by_current_models)
    budget = thinking.get("budget_tokens")
    if isinstance(budget, bool) or not isinstance(budget, int):
        return "thinking.enabled.budget_tokens: Field required"
    if budget < 1024:
        return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    if budget >= int(body["max_tokens"]):
        return "`max_tokens` must be greater than `thinking.budget_tokens`."
    if "temperature" in body or "top_k" in body:
        return "`temperature` and `top_k` may not be set when thinking is enabled."
    return None


def _all_blocks(body: dict[str, Any]) -> Iterator[Any]:
    yield from body.get("tools") or []
    system = body.get("system")
    if isinstance(system, list):
        yield from system
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, list):
            yield from content


def conversation_problem(messages: list[dict[str, Any]]) -> str | None:
    """What the Messages API would refuse in `messages` (None: nothing): content that is
    empty, a thinking block outside an assistant message, a tool_use id used twice or
    answered twice, a tool_use not answered at the start of the next message, a
    tool_result that answers no tool_use of the message before it."""
    return (
        _empty_content(messages)
        or _misplaced_thinking(messages)
        or _thinking_out_of_order(messages)
        or _repeated_ids(messages)
        or _unanswered_tool_use(messages)
        or _stray_tool_result(messages)
    )


def _blocks(message: dict[str, Any]) -> list[Any]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content if isinstance(content, list) else []


def _misplaced_thinking(messages: list[dict[str, Any]]) -> str | None:
    """Thinking blocks belong to assistant messages only."""
    for i, message in enumerate(messages):
        if message.get("role") == "assistant":
            continue
        for j, block in enumerate(_blocks(message)):
            if isinstance(block, dict) and block.get("type") in ("thinking", "redacted_thinking"):
                return (
                    f"messages.{i}.content.{j}: `{block['type']}` blocks may only appear in "
                    "`assistant` messages"
                )
    return None


def _thinking_out_of_order(messages: list[dict[str, Any]]) -> str | None:
    """An assistant message with thinking in it starts with thinking and does not end
    with it (the block orders the service refuses)."""
    for i, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        kinds = [b.get("type") if isinstance(b, dict) else None for b in _blocks(message)]
        thinking = ("thinking", "redacted_thinking")
        if not any(k in thinking for k in kinds):
            continue
        if kinds[0] not in thinking:
            return (
                f"messages.{i}.content.0: If an assistant message contains any thinking "
                f"blocks, the first block must be thinking or redacted_thinking. Found {kinds[0]}."
            )
        if kinds[-1] in thinking:
            return f"messages.{i}: The final block in an assistant message cannot be `thinking`."
    return None


def _empty_content(messages: list[dict[str, Any]]) -> str | None:
    for i, message in enumerate(messages):
        final_assistant = i == len(messages) - 1 and message.get("role") == "assistant"
        if not _blocks(message) and not final_assistant:
            return (
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        for block in _blocks(message):
            if (
                isinstance(block, dict)
                and block.get("type") == "text"
                and not str(block.get("text") or "").strip()
            ):
                return f"messages.{i}: text content blocks must contain non-whitespace text"
    return None


def _tool_use_ids(message: dict[str, Any]) -> list[str]:
    if message.get("role") != "assistant":
        return []
    return [
        b.get("id") for b in _blocks(message) if isinstance(b, dict) and b.get("type") == "tool_use"
    ]


def _leading_results(message: dict[str, Any]) -> list[Any]:
    """The tool_use ids the tool_result blocks at the start of a user message answer."""
    ids = []
    for block in _blocks(message) if message.get("role") == "user" else []:
        if not (isinstance(block, dict) and block.get("type") == "tool_result"):
            break
        ids.append(block.get("tool_use_id"))
    return ids


def _unanswered_tool_use(messages: list[dict[str, Any]]) -> str | None:
    """Each tool_use is answered by a tool_result at the start of the very next message,
    which must exist: an assistant tool_use cannot end the conversation."""
    for i, message in enumerate(messages):
        ids = _tool_use_ids(message)
        if not ids:
            continue
        following = messages[i + 1] if i + 1 < len(messages) else {}
        missing = sorted(set(ids) - set(_leading_results(following)))
        if missing:
            return (
                f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {missing}"
            )
    return None


def _repeated_ids(messages: list[dict[str, Any]]) -> str | None:
    """Each tool_use id is used once in the conversation, and answered once."""
    used: set[Any] = set()
    for i, message in enumerate(messages):
        answered: set[Any] = set()
        for j, block in enumerate(_blocks(message)):
            kind = block.get("type") if isinstance(block, dict) else None
            key = {"tool_use": "id", "tool_result": "tool_use_id"}.get(str(kind))
            if key is None:
                continue
            seen = used if kind == "tool_use" else answered
            if block.get(key) in seen:
                return f"messages.{i}.content.{j}: `{kind}` ids must be unique"
            seen.add(block.get(key))
    return None


def _stray_tool_result(messages: list[dict[str, Any]]) -> str | None:
    """Every tool_result answers a tool_use of the message just before it."""
    for i, message in enumerate(messages):
        results = [
            b.get("tool_use_id")
            for b in _blocks(message)
            if isinstance(b, dict) and b.get("type") == "tool_result"
        ]
        if not results:
            continue
        asked = set(_tool_use_ids(messages[i - 1])) if i > 0 else set()
        stray = sorted(set(results) - asked)
        if stray or message.get("role") != "user":
            return (
                f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` "
                f"blocks: {stray or results}. Each `tool_result` block must have a "
                "corresponding `tool_use` block in the previous message."
            )
    return None


def approx_tokens(text: str) -> int:
    """About four characters a token: close enough for accounting tests."""
    return max(1, math.ceil(len(text) / 4))


def _make_handler(api: FakeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive and chunked SSE, like the real API

        def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            if self.path.split("?")[0] != "/v1/messages":
                self._json(
                    404,
                    {"type": "error", "error": {"type": "not_found_error", "message": self.path}},
                )
                return
            body = json.loads(raw or b"{}")
            api.headers.append({k.lower(): v for k, v in self.headers.items()})
            entry = api._next(body)
            if entry.get("delay"):  # a slow server; stopping the fake ends the wait
                api._stopping.wait(float(entry["delay"]))
            if entry.get("drop"):
                self.close_connection = True
                return
            if "status" in entry:
                self._json(entry["status"], entry.get("body") or {}, entry.get("headers"))
                return
            if "stream_error" in entry:
                self._stream_error(body, entry["stream_error"])
                return
            message = api._complete_message(entry, body)
            if body.get("stream"):
                self._stream(message, entry.get("cut_after"), entry.get("event_delay"))
            else:
                self._json(200, message)

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", "req_fake")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _start_sse(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.send_header("cache-control", "no-cache")
            self.end_headers()

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _stream(
            self, message: dict[str, Any], cut_after: int | None, event_delay: float | None = None
        ) -> None:
            self._start_sse()
            for n, (event, payload) in enumerate(sse_events(message)):
                if event_delay and n:
                    time.sleep(event_delay)
                if cut_after is not None and n >= cut_after:
                    self.close_connection = True  # no terminating chunk: a broken stream
                    return
                self._chunk(f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode())
            self._chunk(b"")  # terminating chunk

        def _stream_error(self, body: dict[str, Any], err: dict[str, Any]) -> None:
            self._start_sse()
            start = {
                "type": "message_start",
                "message": {
                    "id": "msg_fake_err",
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model", "fake"),
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 1, "output_tokens": 1},
                },
            }
            self._chunk(f"event: message_start\ndata: {json.dumps(start)}\n\n".encode())
            payload = {"type": "error", "error": err}
            self._chunk(f"event: error\ndata: {json.dumps(payload)}\n\n".encode())
            self._chunk(b"")

    return Handler


def sse_events(message: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The SSE events the Messages API sends for ``message``, in order."""
    usage = message["usage"]
    start_usage = {k: v for k, v in usage.items() if k != "output_tokens"}
    start_usage["output_tokens"] = 1
    yield (
        "message_start",
        {
            "type": "message_start",
            "message": {**message, "content": [], "stop_reason": None, "usage": start_usage},
        },
    )
    yield "ping", {"type": "ping"}
    for index, block in enumerate(message["content"]):
        yield from _block_events(index, block)
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": usage,
        },
    )
    yield "message_stop", {"type": "message_stop"}


def _pieces(text: str, n: int = 3) -> list[str]:
    size = max(1, math.ceil(len(text) / n))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _block_events(index: int, block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    kind = block.get("type")
    if kind == "text":
        deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"])]
        start = {**block, "text": ""}
    elif kind in ("tool_use", "server_tool_use"):
        raw = json.dumps(block["input"])
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(raw)]
        start = {**block, "input": {}}
    elif kind == "thinking":  # under display "omitted": the signature alone
        deltas = [
            {"type": "thinking_delta", "thinking": p}
            for p in _pieces(block["thinking"])
            if block["thinking"]
        ]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
        start = {**block, "thinking": "", "signature": ""}
    else:  # redacted_thinking, web_search_tool_result, ...: whole in the start event
        deltas, start = [], block
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": start},
    )
    for delta in deltas:
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": index}


# --- prompt-cache accounting (benchmarks) -------------------------------------------------


class CacheAccountant:
    """Usage for each request as the documented prompt-cache rules would bill it.

    - The cacheable prefix runs tools → system → messages, block by block.
    - A cache entry is written at each ``cache_control`` breakpoint whose prefix is at
      least ``min_tokens`` long.
    - A breakpoint reads the longest earlier entry whose prefix matches exactly, looking
      at the breakpoint itself and at most ``lookback`` block boundaries before it.
    - ``cache_read_input_tokens``: the longest prefix read; ``cache_creation_input_tokens``:
      from there to the last breakpoint (written now); ``input_tokens``: the rest.

    Entries never expire here (a session's turns are minutes apart, inside the 5-minute
    TTL that each read refreshes).
    """

    def __init__(self, *, min_tokens: int = 1024, lookback: int = 20) -> None:
        self.min_tokens = min_tokens
        self.lookback = lookback
        self.entries: set[str] = set()
        self.log: list[dict[str, int]] = []

    def __call__(self, body: dict[str, Any]) -> dict[str, int]:
        blocks = _prefix_blocks(body)
        sizes = [approx_tokens(json.dumps(b, sort_keys=True)) for b, _ in blocks]
        cumulative = _running_sums(sizes)
        hashes = _prefix_hashes(body.get("model", ""), [b for b, _ in blocks])
        breakpoints = [i for i, (_, marked) in enumerate(blocks) if marked]
        read_end = self._longest_hit(breakpoints, hashes)
        read = cumulative[read_end] if read_end is not None else 0
        write_end = breakpoints[-1] if breakpoints else None
        written = 0
        if write_end is not None and cumulative[write_end] >= self.min_tokens:
            written = max(0, cumulative[write_end] - read)
        for i in breakpoints:
            if cumulative[i] >= self.min_tokens:
                self.entries.add(hashes[i])
        total = cumulative[-1] if cumulative else 0
        usage = {
            "input_tokens": total - read - written,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": written,
        }
        self.log.append(usage)
        return usage

    def _longest_hit(self, breakpoints: list[int], hashes: list[str]) -> int | None:
        best: int | None = None
        for bp in breakpoints:
            for i in range(bp, max(-1, bp - self.lookback - 1), -1):
                if hashes[i] in self.entries:
                    best = i if best is None else max(best, i)
                    break
        return best


def _prefix_blocks(body: dict[str, Any]) -> list[tuple[Any, bool]]:
    """(block without cache_control, was it marked) in prefix order."""
    out: list[tuple[Any, bool]] = []
    for block in _all_blocks_with_strings(body):
        if isinstance(block, dict):
            marked = "cache_control" in block
            out.append(({k: v for k, v in block.items() if k != "cache_control"}, marked))
        else:
            out.append((block, False))
    return out


def _all_blocks_with_strings(body: dict[str, Any]) -> Iterator[Any]:
    yield from body.get("tools") or []
    system = body.get("system")
    if isinstance(system, str):
        yield {"type": "text", "text": system}
    elif isinstance(system, list):
        yield from system
    for message in body.get("messages") or []:
        content = message.get("content")
        # the role is part of the prefix: fold it into each block's identity
        if isinstance(content, str):
            yield {"role": message.get("role"), "type": "text", "text": content}
        else:
            for b in content or []:
                yield {**b, "_role": message.get("role")} if isinstance(b, dict) else b


def _running_sums(sizes: list[int]) -> list[int]:
    out, total = [], 0
    for s in sizes:
        total += s
        out.append(total)
    return out


def _prefix_hashes(model: str, blocks: list[Any]) -> list[str]:
    h = hashlib.sha256(model.encode())
    out = []
    for b in blocks:
        h.update(json.dumps(b, sort_keys=True).encode())
        out.append(h.copy().hexdigest())
    return out


# --- pytest fixture ------------------------------------------------------------------------


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAPI]:
    """A started FakeAPI; the SDK is pointed at it with a fake key, and never the network."""
    api = FakeAPI().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    for var in (
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_PROFILE",
        "ANTHROPIC_IDENTITY_TOKEN",
        "ANTHROPIC_IDENTITY_TOKEN_FILE",
        "ANTHROPIC_CUSTOM_HEADERS",
        "ANTHROPIC_CONFIG_DIR",
    ):
        monkeypatch.delenv(var, raising=False)
    # Dropped connections carry no retry-after header, so the SDK backs off 0.5 s,
    # 1 s, ...; shrink its initial delay so fault tests take milliseconds.
    import anthropic._base_client as base_client

    monkeypatch.setattr(base_client, "INITIAL_RETRY_DELAY", 0.01, raising=False)
    try:
        yield api
    finally:
        api.stop()
