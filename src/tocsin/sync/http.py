"""HTTP for connectors: a transport (the network, or recorded replies) and a client that retries.

A ``Transport`` sends one ``Request`` and returns what came back, nothing more; the ``Client``
decides what to do with it: back off and retry on 429 and 5xx (honouring ``Retry-After``), let
the connector refresh its token once on 401, and raise a ``SyncError`` naming the source, the
request and what came back for anything else. Credentials travel in headers or form fields and
are never part of an error message (``Request.shown`` strips them).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from tocsin.i18n import Said

USER_AGENT = "tocsin-sync/1 (+https://github.com/tocsin)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Query parameters and form fields that carry secrets: never shown in an error or a log.
SECRET_NAMES = frozenset({"password", "key", "token", "access_token", "refresh_token", "map_key",
                          "client_secret", "app_identifier"})


class SyncError(Exception):
    """A source could not be read; the message names the source, the request and the reply.
    Its text is English ("acled: GET ... answered HTTP 500: ..."), for records and logs; where
    the message is said (a ``Said``), the command line tells it in the session's language."""

    def __init__(self, source: str, message: str, status: int | None = None) -> None:
        self.source = source
        self.message = message
        self.status = status  # the HTTP status that ended it, when one did
        super().__init__(Said("sync.error", source=source, message=message))

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt from what it was made of, not its text
        return type(self), (self.source, self.message, self.status)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] | None = None  # sent as application/x-www-form-urlencoded

    def full_url(self) -> str:
        if not self.params:
            return self.url
        joiner = "&" if "?" in self.url else "?"
        return self.url + joiner + urllib.parse.urlencode(self.params)

    def shown(self, secrets: tuple[str, ...] = ()) -> str:
        """The request as an error may show it: secret parameters and path parts masked."""
        params = {k: ("***" if k.lower() in SECRET_NAMES else v) for k, v in self.params.items()}
        url = self.url
        for secret in secrets:
            if secret:
                url = url.replace(secret, "***")
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return f"{self.method} {url}{query}"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def snippet(self, limit: int = 120) -> str:
        text = self.body[:limit].decode("utf-8", "replace").replace("\n", " ").strip()
        return text + ("..." if len(self.body) > limit else "")


class Transport(Protocol):
    def send(self, request: Request, timeout: float) -> Response: ...


class UrllibTransport:
    """The network, through the standard library (no dependency for a few GETs and a POST)."""

    def send(self, request: Request, timeout: float) -> Response:
        data = urllib.parse.urlencode(request.form).encode() if request.form is not None else None
        headers = {"User-Agent": USER_AGENT, **request.headers}
        if data is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        raw = urllib.request.Request(request.full_url(), data=data, headers=headers,
                                     method=request.method)
        try:
            with urllib.request.urlopen(raw, timeout=timeout) as reply:
                return Response(reply.status, dict(reply.headers.items()), reply.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, dict(exc.headers.items()) if exc.headers else {}, exc.read())
        except http.client.HTTPException as exc:  # IncompleteRead, a bad status line: try again
            raise ConnectionError(f"the reply was cut short or malformed ({exc!r})") from exc


@dataclass
class RetryPolicy:
    attempts: int = 5
    backoff_s: float = 1.0       # doubled after each failed attempt
    max_wait_s: float = 300.0    # a Retry-After longer than this is not waited for
    timeout_s: float = 60.0


class Client:
    """Sends requests for one source with the retry rules above."""

    def __init__(self, source: str, transport: Transport, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, secrets: tuple[str, ...] = ()) -> None:
        self.source = source
        self.transport = transport
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.secrets = secrets
        self.requests = 0  # sent, retries included (FIRMS counts transactions)

    def send(self, request: Request, refresh: Callable[[], Request] | None = None) -> Response:
        """A 2xx reply, or SyncError. ``refresh``, when given, is called once after a 401 and
        returns the request again with fresh credentials."""
        wait = self.policy.backoff_s
        refreshed = False
        last = ""
        for attempt in range(1, self.policy.attempts + 1):
            try:
                self.requests += 1
                reply = self.transport.send(request, self.policy.timeout_s)
            except OSError as exc:  # refused, reset, timed out: worth another try
                last = Said("sync.no_reply", exc=str(exc))
                self._pause(wait, attempt, last)
                wait *= 2
                continue
            if 200 <= reply.status < 300:
                return reply
            if reply.status == 401 and refresh is not None and not refreshed:
                refreshed = True
                request = refresh()
                continue
            if reply.status in RETRY_STATUSES:
                last = f"HTTP {reply.status}: {reply.snippet()}"
                pause = retry_after(reply.header("Retry-After"))
                if pause is not None and pause > self.policy.max_wait_s:
                    raise SyncError(self.source, Said(
                        "sync.asks_to_wait", request=request.shown(self.secrets), status=reply.status,
                        pause=pause, most=self.policy.max_wait_s))
                self._pause(pause if pause is not None else wait, attempt, last)
                wait *= 2
                continue
            raise SyncError(self.source, Said("sync.answered_http", request=request.shown(self.secrets),
                                              status=reply.status, snippet=reply.snippet()),
                            status=reply.status)
        raise SyncError(self.source, Said("sync.failed_attempts", request=request.shown(self.secrets),
                                          attempts=self.policy.attempts, last=last))

    def _pause(self, seconds: float, attempt: int, why: str) -> None:
        if attempt < self.policy.attempts:
            self.sleep(max(0.0, seconds))

    def get_json(self, request: Request, refresh: Callable[[], Request] | None = None,
                 expect: str = "a JSON object") -> Any:
        """The reply's JSON, or a SyncError saying what came instead (HTML, a cut-off body)."""
        reply = self.send(request, refresh)
        return parse_json(self.source, request.shown(self.secrets), reply, expect)


def parse_json(source: str, shown: str, reply: Response, expect: str) -> Any:
    kind = (reply.header("Content-Type") or "").lower()
    body = reply.body.lstrip()
    if "html" in kind or body[:1] == b"<":
        raise SyncError(source, Said("sync.returned_html", request=shown, expect=expect,
                                     snippet=reply.snippet()))
    try:
        return json.loads(reply.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        # The decoder stops at the end of a body cut short, or at a string never closed.
        cut = Said("sync.body_cut_short") if isinstance(exc, json.JSONDecodeError) and (
            exc.pos >= len(reply.body.rstrip()) - 1 or exc.msg.startswith("Unterminated")) else ""
        raise SyncError(source, Said("sync.not_expected", request=shown, size=len(reply.body),
                                     expect=expect, cut=cut, exc=str(exc))) from exc


def listed_in(source: str, shown: str, reply: Any, name: str) -> list[Any]:
    """``reply[name]`` where the reply is an object holding a list there (the page of records
    every publisher wraps); else a SyncError naming the request and what the reply held."""
    found = reply.get(name) if isinstance(reply, dict) else None
    if isinstance(found, list):
        return found
    held = ", ".join(sorted(map(str, reply))) if isinstance(reply, dict) else type(reply).__name__
    raise SyncError(source, Said("sync.no_list", request=shown, name=name, found=held or "{}"))


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
