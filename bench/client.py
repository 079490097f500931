"""A small keep-alive HTTP client on the standard library, for probes and scripted clients.

Goals 2 and 3 need a client whose own cost is small and predictable, one connection per
simulated user, and no dependency beyond what the baked backend installs; http.client is that.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    seconds: float


class Client:
    """One persistent connection to one server; reconnects once when the server closed it."""

    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self._host, self._port, timeout=TIMEOUT_SECONDS
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request and read the whole answer; JSON bodies are decoded."""
        sent = dict(headers or {})
        payload: bytes | None = None
        if json_body is not None:
            payload = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        elif form is not None:
            payload = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            connection = self._connect()
            start = time.perf_counter()
            try:
                connection.request(method, path, body=payload, headers=sent)
                response = connection.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - start
            body: Any = raw
            if response.getheader("content-type", "").startswith("application/json"):
                body = json.loads(raw) if raw else None
            return Reply(
                status=response.status,
                body=body,
                headers={name.lower(): value for name, value in response.getheaders()},
                seconds=elapsed,
            )
        raise AssertionError("unreachable")
