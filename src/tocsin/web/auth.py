"""Who is asking: passwords (argon2), browser sessions, API tokens, CSRF and login rate limits.

Secrets handed to clients (session cookies, API tokens) are random 256-bit values; the database
keeps only their SHA-256, so a stolen copy of the database opens no session. Roles are the four of
``tocsin.records.models.USER_ROLES``; what each may do is ``PERMISSIONS`` below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tocsin.i18n import Said
from tocsin.records.models import (
    USER_ROLES,
    ApiToken,
    LoginAttempt,
    Organisation,
    User,
    WebSession,
    utcnow,
)

SESSION_COOKIE = "tocsin_session"
LOGIN_CSRF_COOKIE = "tocsin_login_csrf"
SESSION_LIFETIME = dt.timedelta(hours=12)
# Guessing passwords: failures within the window are counted per client and account name, per
# client, and per account name from all clients. A client that fails an account 5 times waits,
# with a wait that doubles with each further failure (30 s, 1 min, 2 min ... up to the window);
# the real user, on another client, is not locked out by it. Only a guessing campaign from many
# clients (200 failures) blocks the account name itself.
RATE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_CLIENT_AND_USERNAME = 5
MAX_FAILURES_PER_CLIENT = 20
MAX_FAILURES_PER_USERNAME = 200
BACKOFF_FIRST = dt.timedelta(seconds=30)

PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(USER_ROLES),
    "acknowledge_alert": frozenset({"admin", "analyst", "monitor"}),
    "upload_evidence": frozenset({"admin", "analyst", "monitor"}),
    "record_control": frozenset({"admin", "analyst"}),
    "manage_users": frozenset({"admin"}),
    # legal qualification and actors: analysts edit, monitors and viewers read
    "qualify": frozenset({"admin", "analyst"}),
}

_hasher = PasswordHasher()
# Verifying against this when the user does not exist costs the same time as a real check, so
# response times do not tell which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AuthError(Exception):
    """Not logged in, or not allowed."""


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError(Said("accounts.password_short", limit=10))
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass(frozen=True)
class Principal:
    """The user behind a request, with what the request may need to know about them."""

    user_id: int
    username: str
    display_name: str
    role: str
    organisation_id: int
    organisation: str
    language: str
    # The CSRF token of the browser session; None when the request came with an API token.
    csrf_token: str | None = None
    # When the browser session ends; None for API tokens.
    expires_at: dt.datetime | None = None
    # The organisation's digits for Arabic pages (tocsin.arabic.DIGIT_STYLES).
    digits: str = "western"

    def can(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]


def _principal(user: User, organisation: Organisation, csrf: str | None,
               expires_at: dt.datetime | None = None) -> Principal:
    return Principal(user.id, user.username, user.display_name, user.role, organisation.id,
                     organisation.name, user.language, csrf, expires_at,
                     getattr(organisation, "digits", None) or "western")


# -- login and rate limits ------------------------------------------------------------------
def seconds_blocked(db: Session, username: str, client: str, now: dt.datetime | None = None) -> int:
    """0 when a login attempt may go ahead, else how long until it may (seconds).

    Ends its read transaction: the slow password check that follows must not hold one open
    (on SQLite a read transaction that later writes fails with "database is locked" when
    another login wrote meanwhile)."""
    now = now or utcnow()
    since = now - RATE_WINDOW
    name = username.lower()[:100]
    waits = []
    failed = (LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since)
    try:
        count, last = db.execute(select(func.count(), func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.username == name, LoginAttempt.client == client[:100], *failed)).one()
        if count >= MAX_FAILURES_PER_CLIENT_AND_USERNAME:
            backoff = min(RATE_WINDOW, BACKOFF_FIRST * 2 ** (count - MAX_FAILURES_PER_CLIENT_AND_USERNAME))
            waits.append(int((last + backoff - now).total_seconds()) + 1)
        for column, value, limit in ((LoginAttempt.client, client[:100], MAX_FAILURES_PER_CLIENT),
                                     (LoginAttempt.username, name, MAX_FAILURES_PER_USERNAME)):
            count, oldest = db.execute(select(func.count(), func.min(LoginAttempt.attempted_at))
                                       .where(column == value, *failed)).one()
            if count >= limit:
                # Blocked until enough failures age out of the window; the oldest one first.
                waits.append(int((oldest + RATE_WINDOW - now).total_seconds()) + 1)
    finally:
        db.rollback()
    return max([w for w in waits if w > 0], default=0)


def authenticate(db: Session, username: str, password: str, client: str) -> Principal | None:
    """Check a password, record the attempt, and return the user when it matched.

    The caller checks :func:`seconds_blocked` first; this always records the attempt. The
    argon2 check runs outside any transaction and the write is its own short one, so
    simultaneous logins queue on the database's write lock instead of failing."""
    row = db.execute(
        select(User, Organisation).join(Organisation).where(func.lower(User.username) == username.lower())
    ).first()
    # Read what the check needs, then end the read transaction (a rollback expires the rows:
    # touching them again would open a new one, which the write below could not upgrade).
    user_id, stored = (row[0].id, row[0].password_hash) if row else (None, None)
    principal = _principal(row[0], row[1], None) if row else None
    db.rollback()
    ok = password_matches(stored, password)
    rehash = _hasher.hash(password) if ok and _hasher.check_needs_rehash(stored or "") else None
    db.add(LoginAttempt(username=username.lower()[:100], client=client[:100], succeeded=ok,
                        attempted_at=utcnow()))
    if rehash is not None:
        db.execute(update(User).where(User.id == user_id).values(password_hash=rehash))
    db.commit()
    return principal if ok else None


def end_all_sessions(db: Session, user_id: int) -> None:
    """Log the user out everywhere and revoke every API token (a password change does it: a
    thief's session or token must not outlive the new password)."""
    db.execute(delete(WebSession).where(WebSession.user_id == user_id))
    db.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
               .values(revoked_at=utcnow()))


# -- browser sessions -----------------------------------------------------------------------
def start_session(db: Session, user_id: int) -> tuple[str, str]:
    """A new session: (cookie secret, CSRF token). Expired sessions are swept on the way."""
    now = utcnow()
    db.execute(delete(WebSession).where(WebSession.expires_at < now))
    secret, csrf = new_secret(), new_secret()
    db.add(WebSession(id=digest(secret), user_id=user_id, csrf_token=csrf, created_at=now,
                      expires_at=now + SESSION_LIFETIME))
    db.commit()
    return secret, csrf


def session_principal(db: Session, secret: str) -> Principal | None:
    row = db.execute(
        select(WebSession, User, Organisation)
        .join(User, WebSession.user_id == User.id).join(Organisation, User.organisation_id == Organisation.id)
        .where(WebSession.id == digest(secret), WebSession.expires_at > utcnow())
    ).first()
    return _principal(row[1], row[2], row[0].csrf_token, row[0].expires_at) if row else None


def end_session(db: Session, secret: str) -> None:
    db.execute(delete(WebSession).where(WebSession.id == digest(secret)))
    db.commit()


# -- looking credentials up ----------------------------------------------------------------
class PrincipalCache:
    """Credential digest -> Principal (or None) for ``ttl`` seconds.

    Logout and revocation through the web app drop their entry at once; a change made outside
    this process (the CLI revoking a token, another worker logging out) takes effect within
    ``ttl`` seconds. Session expiry is checked on every hit. ``ttl`` 0 turns the cache off.
    """

    def __init__(self, ttl: float = 5.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def get(self, key: str) -> tuple[bool, Principal | None]:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        principal = entry[1]
        if principal is not None and principal.expires_at is not None and principal.expires_at <= utcnow():
            return False, None
        return True, principal

    def put(self, key: str, principal: Principal | None) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.size:
            self._entries.clear()  # simple and bounded: the next requests refill it
        self._entries[key] = (time.monotonic() + self.ttl, principal)

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


# -- API tokens -----------------------------------------------------------------------------
TOKEN_PREFIX = "tocsin_"
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)


def create_api_token(db: Session, user_id: int, name: str) -> str:
    """A new token for ``user_id``; the caller shows it once, only its digest is kept."""
    token = TOKEN_PREFIX + new_secret()
    db.add(ApiToken(user_id=user_id, name=name[:100], token_hash=digest(token), created_at=utcnow()))
    db.commit()
    return token


def token_principal(db: Session, token: str) -> Principal | None:
    row = db.execute(
        select(ApiToken, User, Organisation)
        .join(User, ApiToken.user_id == User.id).join(Organisation, User.organisation_id == Organisation.id)
        .where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    now = utcnow()
    if row[0].last_used_at is None or now - row[0].last_used_at > TOKEN_USE_RESOLUTION:
        row[0].last_used_at = now  # when a token was last used, to the minute: one write at most
        db.commit()
    return _principal(row[1], row[2], None)


def user_tokens(db: Session, user_id: int) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.created_at.desc())).all())


def revoke_token(db: Session, user_id: int, token_id: int) -> str | None:
    """Revoke one of the user's own tokens; returns its digest (to drop from caches) or None."""
    token = db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id,
                                             ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    token.revoked_at = utcnow()
    db.commit()
    return token.token_hash


def revoke_api_tokens(db: Session, user_id: int, name: str | None = None) -> int:
    query = select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if name is not None:
        query = query.where(ApiToken.name == name)
    tokens = db.scalars(query).all()
    for token in tokens:
        token.revoked_at = utcnow()
    db.commit()
    return len(tokens)
