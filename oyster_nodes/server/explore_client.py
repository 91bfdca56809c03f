"""A scripted Explore client over a real websocket: shared by the stream tests and bench/explore.py."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.sync.client import ClientConnection, connect


def unpack(data: bytes) -> tuple[dict[str, Any], bytes]:
    n = int.from_bytes(data[:4], "big")
    return json.loads(data[4:4 + n]), data[4 + n:]


@dataclass
class Client:
    """Receives frames (acknowledging each unless told not to) and keeps every text message."""

    ws: ClientConnection
    texts: list[dict[str, Any]] = field(default_factory=list)
    frames: list[tuple[float, dict[str, Any], bytes]] = field(default_factory=list)
    hello: dict[str, Any] | None = None
    map_jpeg: bytes = b""
    seq: int = 0

    @classmethod
    def open(cls, base: str, world: str, *, headers: dict[str, str] | None = None, size: str = "w=640&h=360",
             **kw: Any) -> Client:
        url = base.replace("http://", "ws://") + f"/oyster/api/explore/ws?world={world}&{size}"
        client = cls(connect(url, additional_headers=headers or {}, max_size=2**24, **kw).__enter__())
        while client.hello is None or not client.map_jpeg:
            client.receive(1, ack=False)
        return client

    def send(self, msg: dict[str, Any] | str) -> int:
        if isinstance(msg, str):
            self.ws.send(msg)
            return -1
        self.seq += 1
        self.ws.send(json.dumps({**msg, "seq": self.seq}))
        return self.seq

    def receive(self, timeout: float, *, ack: bool = True) -> Any:
        """One message (a frame's header or a text message), or None after `timeout` seconds."""
        try:
            data = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        if isinstance(data, str):
            msg = json.loads(data)
            if msg.get("type") == "hello":
                self.hello = msg
            self.texts.append(msg)
            return msg
        header, jpeg = unpack(data)
        if header["kind"] == "map":
            self.map_jpeg = jpeg
            return header
        self.frames.append((time.perf_counter(), header, jpeg))
        if ack:
            self.ws.send(json.dumps({"type": "ack", "frame": header["frame"]}))
        return header

    def pump(self, seconds: float, *, ack: bool = True) -> None:
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            self.receive(left, ack=ack)

    def until(self, test: Any, seconds: float = 20.0, *, ack: bool = True) -> Any:
        """Pump until a message passes `test`; that message."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            msg = self.receive(left, ack=ack)
            if msg is not None and test(msg):
                return msg
        raise AssertionError(f"no message passed the test in {seconds} s (last texts: {self.texts[-3:]})")

    def reply_to(self, seq: int, seconds: float = 20.0) -> dict[str, Any]:
        return self.until(lambda m: m.get("seq") == seq and m.get("type") in ("reply", "recording", "error"), seconds)

    def close(self) -> None:
        self.ws.close()
