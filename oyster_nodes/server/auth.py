"""The access token: when set, every page, API call, static file and websocket must carry it.

A browser brings it once as `?token=…`; the answer redirects to the same address without it and sets
an HttpOnly, SameSite=Strict cookie that later requests (and NiceGUI's socket.io) carry. API clients
may send `Authorization: Bearer …` instead.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

COOKIE = "oyster_token"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REFUSED_PAGE = b"""<!doctype html><meta charset=utf-8><title>Oyster Nodes: token required</title>
<body style="background:#16181d;color:#d8dbe2;font:15px system-ui;padding:48px">
<h2>An access token is required</h2><p>This editor was started with an access token. Open the address that
<code>oyster serve</code> printed (it ends in <code>?token=&hellip;</code>).</p></body>"""


class TokenGate:
    """ASGI middleware refusing any HTTP request or websocket without the token."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.get("token")
        if given is not None and self._ok(given):
            if scope["type"] == "http" and scope.get("method") == "GET" and "EIO" not in query:
                await self._redirect_with_cookie(scope, query, send)
                return
            await self.app(scope, receive, send)
            return
        if self._ok(_cookie(scope) or "") or self._ok(_bearer(scope) or ""):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, receive, send)

    def _ok(self, value: str) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), self.token)

    async def _redirect_with_cookie(self, scope: Scope, query: dict[str, str], send: Send) -> None:
        rest = {k: v for k, v in query.items() if k != "token"}
        location = scope.get("root_path", "") + scope["path"] + (f"?{urlencode(rest)}" if rest else "")
        cookie = f"{COOKIE}={self.token.decode()}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()),
                                (b"cache-control", b"no-store"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        wants_html = b"text/html" in dict(scope.get("headers", [])).get(b"accept", b"")
        body = REFUSED_PAGE if wants_html else b'{"detail": "access token required"}'
        kind = b"text/html; charset=utf-8" if wants_html else b"application/json"
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": body})


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].decode("latin-1").strip()
    return None
