"""The request gate: one ASGI middleware in front of every HTTP route and websocket, NiceGUI's included.

It refuses, in this order:
- a `Host` that is not a loopback name or address, the bound address, or a name the operator allowed
  (`--allow-host`): a page that rebinds its own name to 127.0.0.1 reaches nothing;
- without the access token (when one is set): a browser brings it once as `?token=…`, the answer redirects to
  the same address without it and sets an HttpOnly, SameSite=Strict cookie; API clients send
  `Authorization: Bearer …`. Tokens are compared in constant time and never written to a log or a URL;
- a state-changing request (anything but GET/HEAD/OPTIONS, every websocket upgrade, every request to NiceGUI's
  socket.io at /_nicegui_ws) that is not same-origin: an `Origin` must name this very scheme, host and port
  (`Origin: null` never does); without `Origin`, `Sec-Fetch-Site` may only be absent (a CLI client), `none` or
  `same-origin`. A page on another loopback port differs in port, so it can neither submit nor cancel jobs, nor
  open a websocket, nor drive a tab's socket. The editor's own session calls also carry the tab's session id
  (192 random bits, known only to that tab's page) in their path: the session-bound token of those routes.

Every answer gets `nosniff`, `Cross-Origin-Resource-Policy: same-origin` and no framing; HTML pages get a
Content-Security-Policy whose scripts need a per-response nonce, so script from data (an inline handler, a
`javascript:` URL, a `<script>` in a string) never runs, and fetches go to this origin only.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

COOKIE = "oyster_token"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SOCKET_PREFIX = "/_nicegui_ws"
LOOPBACK_NAMES = ("localhost",)
SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)
HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
COMMON_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"cross-origin-resource-policy", b"same-origin"),
                  (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"))

REFUSED_PAGE = b"""<!doctype html><meta charset=utf-8><title>Oyster Nodes: token required</title>
<body style="background:#16181d;color:#d8dbe2;font:15px system-ui;padding:48px">
<h2>An access token is required</h2><p>This editor was started with an access token. Open the address that
<code>oyster serve</code> printed (it ends in <code>?token=&hellip;</code>).</p></body>"""


def content_security_policy(nonce: str) -> bytes:
    """Scripts only from this origin or with the page's nonce ('unsafe-eval' for Vue's template compiler)."""
    return (f"default-src 'self'; script-src 'self' 'nonce-{nonce}' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'").encode()


def normal_host(name: str) -> str:
    """A host name as the gate compares it: lower case, no brackets, no trailing dot."""
    return name.strip().lower().strip("[]").rstrip(".")


def check_allowed_host(name: str) -> str:
    """An operator's --allow-host value, or ValueError saying what a valid one looks like."""
    host = normal_host(name)
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if not HOST_NAME.match(host):
        raise ValueError(f"--allow-host {name!r} is not a host name or address (give e.g. studio.lan or 10.0.0.5)")
    return host


class RequestGate:
    """ASGI middleware: Host allow-list, access token, same-origin for state changes, security headers."""

    def __init__(self, app: ASGIApp, *, token: str | None = None, allowed_hosts: Iterable[str] = ()):
        self.app = app
        self.token = token.encode() if token else None
        self.allowed = {normal_host(h) for h in allowed_hosts if h} - {"0.0.0.0", "::"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self.host_allowed(host):
            await _refuse(scope, receive, send, 403, f"host {host[:100]!r} is not served here: start the server "
                          "with --allow-host NAME to reach it by that name")
            return
        if self.token is not None:
            if not await self._token_passes(scope, receive, send, headers):
                return
            scope = _without_token(scope)  # what runs behind the gate (and its logs) never sees the token
        if self.needs_same_origin(scope) and not same_origin(scope, headers):
            await _refuse(scope, receive, send, 403, "cross-origin request refused: state-changing calls must "
                          "come from the editor's own page (or a client sending no Origin)")
            return
        await self.app(scope, receive, _with_headers(send) if scope["type"] == "http" else send)

    def host_allowed(self, host_header: str) -> bool:
        host = normal_host(_strip_port(host_header))
        if not host:
            return False
        if host in LOOPBACK_NAMES or host.endswith(".localhost") or host in self.allowed:
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @staticmethod
    def needs_same_origin(scope: Scope) -> bool:
        return (scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS
                or scope.get("path", "").startswith(SOCKET_PREFIX))

    async def _token_passes(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> bool:
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.get("token")
        if given is not None and self.token_ok(given):
            if scope["type"] == "http" and scope.get("method") == "GET" and "EIO" not in query:
                await self._redirect_with_cookie(scope, query, send)
                return False
            return True
        if self.token_ok(_cookie(headers) or "") or self.token_ok(_bearer(headers) or ""):
            return True
        wants_html = "text/html" in headers.get("accept", "")
        await _refuse(scope, receive, send, 401, "access token required", page=REFUSED_PAGE if wants_html else None)
        return False

    def token_ok(self, value: str) -> bool:
        assert self.token is not None
        return bool(value) and hmac.compare_digest(value.encode("utf-8", "replace"), self.token)

    async def _redirect_with_cookie(self, scope: Scope, query: dict[str, str], send: Send) -> None:
        assert self.token is not None
        rest = {k: v for k, v in query.items() if k != "token"}
        # the path as this server's own (one leading slash, percent-encoded): never a way to another site
        path = "/" + quote(str(scope["path"]).lstrip("/\\"), safe="/:@!$&'()*+,;=-._~")
        location = scope.get("root_path", "") + path + (f"?{urlencode(rest)}" if rest else "")
        cookie = f"{COOKIE}={self.token.decode()}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()),
                                (b"cache-control", b"no-store"), (b"content-length", b"0"), *COMMON_HEADERS]})
        await send({"type": "http.response.body", "body": b""})


def same_origin(scope: Scope, headers: dict[str, str]) -> bool:
    """True when the request comes from this server's own origin, or from a client that is not a browser page."""
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site", "none") in ("none", "same-origin")
    if origin == "null":
        return False
    parts = urlsplit(origin)
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    if parts.scheme != scheme or parts.path not in ("", "/") or parts.query or parts.username:
        return False
    return _with_default_port(parts.netloc.lower(), scheme) == _with_default_port(headers.get("host", "").lower(), scheme)


def _without_token(scope: Scope) -> Scope:
    """The scope with any `token` query parameter taken out of its query string."""
    query = scope.get("query_string", b"")
    if b"token" not in query:
        return scope
    kept = [(k, v) for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if k != "token"]
    return {**scope, "query_string": urlencode(kept).encode("latin-1")}


def _with_default_port(netloc: str, scheme: str) -> str:
    if netloc.endswith("]") or ":" not in netloc:
        return f"{netloc}:{443 if scheme == 'https' else 80}"
    return netloc


def _strip_port(host: str) -> str:
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        key = name.decode("latin-1").lower()
        if key not in out:  # the first of repeated headers counts
            out[key] = value.decode("latin-1")
    return out


def _with_headers(send: Send) -> Send:
    """Add the common headers to every response; HTML gets the CSP and a nonce on each of its script tags."""
    state: dict[str, Any] = {}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in {h for h, _ in COMMON_HEADERS}]
            message = {**message, "headers": headers + list(COMMON_HEADERS)}
            kind = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
            if kind.startswith(b"text/html"):
                state["start"], state["body"] = message, []
                return
            await send(message)
            return
        if message["type"] == "http.response.body" and "start" in state:
            state["body"].append(message.get("body", b""))
            if message.get("more_body", False):
                return
            start, body = state.pop("start"), b"".join(state.pop("body"))
            await _send_html(send, start, body)  # and hold nothing: a page's client keeps this callable alive
            return
        await send(message)

    return wrapped


async def _send_html(send: Send, start: Message, body: bytes) -> None:
    nonce = secrets.token_urlsafe(18)
    body = SCRIPT_TAG.sub(f'<script nonce="{nonce}"'.encode(), body)
    headers = [(k, v) for k, v in start["headers"] if k.lower() not in (b"content-length", b"content-security-policy")]
    headers += [(b"content-length", str(len(body)).encode()), (b"content-security-policy", content_security_policy(nonce))]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, reason: str, *,
                  page: bytes | None = None) -> None:
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
        return
    body = page if page is not None else json.dumps({"detail": reason}).encode()
    kind = b"text/html; charset=utf-8" if page is not None else b"application/json"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *COMMON_HEADERS]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _cookie(headers: dict[str, str]) -> str | None:
    value = headers.get("cookie")
    if value is None:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(value)
    except Exception:
        return None
    return jar[COOKIE].value if COOKIE in jar else None


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    return value[7:].strip() if value[:7].lower() == "bearer " else None
