"""Who may use the review page: one-time login links, sessions, CSRF tokens and the optional
workspace password.

Two ways in, chosen by the workspace configuration:
- no password in `[review]`: `broadcast review serve` prints a link carrying a one-time token;
  the login form exchanges it for a session once, after which the token is dead. Only possible
  on a loopback address (the link is printed on this PC's terminal).
- a password in `[review]` (`password_hash`, made by `broadcast review serve --hash-password`,
  or a plain `password`): every reviewer signs in with it; no token is printed. Required before
  the page may listen on any non-loopback address.

Sessions live in server memory (a restart signs everyone out) and are HttpOnly, SameSite=Strict
cookies. Every POST carries the session's CSRF token, compared with hmac.compare_digest.

Password guessing: each client address has MAX_FAILURES attempts per FAILURE_WINDOW_S. An
attempt is counted before the password is checked and given back only when it was right, so
guesses sent in parallel cannot slip past the limit while earlier ones are still being checked.
Passwords are compared in Unicode NFC (a Vietnamese keyboard may send "ệ" precomposed or as
e + two combining marks), hashed with scrypt N = 2¹⁷ (128 MiB and a fraction of a second per
check, at most CONCURRENT_CHECKS at once); hashes made with a smaller N still verify."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass, field

from broadcast.core.errors import WorkspaceError
from broadcast.web.text import reviewer_name

SESSION_COOKIE = "broadcast_review"
PRE_LOGIN_COOKIE = "broadcast_login"
SESSION_HOURS = 12
TOKEN_MINUTES = 60
# Password guessing: at most this many failures per client address per window.
MAX_FAILURES = 10
FAILURE_WINDOW_S = 600
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
# scrypt's memory is 128·r·(N + p + 2) bytes; hashlib refuses more than 32 MiB unless allowed.
# A stored hash asking for more than this is refused rather than allowed to exhaust the PC.
MAX_SCRYPT_MEMORY = 1 << 30
# Password checks running at once (each holds 128 MiB); more wait their turn.
CONCURRENT_CHECKS = 2


class AuthConfigError(WorkspaceError):
    """A `[review]` password setting in broadcast.toml that cannot be used (a usage error, exit 2)."""


class TooManyAttempts(Exception):
    """This client address has used up its password attempts for now."""


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    need = 128 * r * (n + p + 2)
    if need > MAX_SCRYPT_MEMORY:
        raise ValueError(f"scrypt N={n}, r={r}, p={p} needs {need >> 20} MiB")
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=need + (1 << 20))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash` (hex) of the NFC form — the value for `[review] password_hash`."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = _scrypt(unicodedata.normalize("NFC", password), salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, 32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password_hash(stored: str, password: str) -> bool:
    """Whether `password` (in any Unicode normal form) matches a hash from hash_password. A hash
    made with a smaller N, before passwords were normalised, was made from the password as
    typed: it is tried in both NFC and NFD (cheap at that N)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        n, r, p, salt, digest = int(n), int(r), int(p), bytes.fromhex(salt), bytes.fromhex(digest)
        tries = [unicodedata.normalize("NFC", password)]
        if n < SCRYPT_N and unicodedata.normalize("NFD", password) != tries[0]:
            tries.append(unicodedata.normalize("NFD", password))
        return any(hmac.compare_digest(_scrypt(t, salt, n, r, p, len(digest)), digest) for t in tries)
    except (ValueError, TypeError, MemoryError):
        return False


def password_setting(section: dict) -> str | None:
    """The password check to use from `[review]`: a scrypt hash, or a plain password turned into
    one at start-up; None when no password is configured. A malformed setting is an error."""
    stored = section.get("password_hash")
    if stored is not None:
        if not isinstance(stored, str) or stored.count("$") != 5 or not stored.startswith("scrypt$"):
            raise AuthConfigError("[review] password_hash is not a scrypt hash", field="review.password_hash",
                                  hint="make one with `broadcast review serve --hash-password`")
        try:
            _, n, r, p, salt, digest = stored.split("$")
            n, r, p = int(n), int(r), int(p)
            bytes.fromhex(salt), bytes.fromhex(digest)
            ok = n > 1 and r > 0 and p > 0 and 128 * r * (n + p + 2) <= MAX_SCRYPT_MEMORY
        except ValueError:
            ok = False
        if not ok:
            raise AuthConfigError("[review] password_hash has unusable scrypt numbers or hex",
                                  field="review.password_hash",
                                  hint="make a new one with `broadcast review serve --hash-password`")
        return stored
    plain = section.get("password")
    if plain is not None:
        if not isinstance(plain, str) or len(plain) < 8:
            raise AuthConfigError("[review] password must be a string of at least 8 characters",
                                  field="review.password",
                                  hint="or store a hash: `broadcast review serve --hash-password`")
        return hash_password(plain)
    return None


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Session:
    id: str
    csrf: str
    reviewer: str
    expires: float


@dataclass
class Auth:
    """The server's login state. `password_hash` None means token links (loopback only)."""

    password_hash: str | None = None
    default_reviewer: str = "unknown"
    _tokens: dict[str, float] = field(default_factory=dict)
    _sessions: dict[str, Session] = field(default_factory=dict)
    _attempts: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _checks: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(CONCURRENT_CHECKS))

    @property
    def uses_password(self) -> bool:
        return self.password_hash is not None

    def issue_token(self) -> str:
        """A login token good for one sign-in within TOKEN_MINUTES."""
        if self.uses_password:
            raise AuthConfigError("login links are off while a password is configured")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.monotonic() + TOKEN_MINUTES * 60
        return token

    def token_valid(self, token: str | None) -> bool:
        """Whether the token could still be exchanged (without using it up)."""
        with self._lock:
            return self._find_token(token) is not None

    def _find_token(self, token: str | None) -> str | None:
        if not token:
            return None
        now = time.monotonic()
        for known, expires in list(self._tokens.items()):
            if expires < now:
                del self._tokens[known]
            elif hmac.compare_digest(known.encode(), token.encode()):
                return known
        return None

    def login_with_token(self, token: str | None, reviewer: str) -> Session | None:
        with self._lock:
            known = self._find_token(token)
            if known is None:
                return None
            del self._tokens[known]  # one time only
        return self._new_session(reviewer)

    def _recent(self, client: str, now: float) -> list[float]:
        recent = [t for t in self._attempts.get(client, []) if t > now - FAILURE_WINDOW_S]
        if recent:
            self._attempts[client] = recent
        else:
            self._attempts.pop(client, None)   # forget quiet clients: the table stays small
        return recent

    def too_many_failures(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client, time.monotonic())) >= MAX_FAILURES

    def login_with_password(self, password: str, reviewer: str, client: str) -> Session | None:
        """A session for the right password, None for a wrong one; TooManyAttempts (without
        checking) once `client` has MAX_FAILURES attempts in the window."""
        if not self.uses_password:
            return None
        with self._lock:
            now = time.monotonic()
            if len(self._recent(client, now)) >= MAX_FAILURES:
                raise TooManyAttempts(client)
            self._attempts.setdefault(client, []).append(now)   # counted before it is checked
        with self._checks:
            right = check_password_hash(self.password_hash, password)
        if not right:
            return None
        with self._lock:
            mine = self._attempts.get(client, [])
            if now in mine:
                mine.remove(now)   # a right password costs no attempt
        return self._new_session(reviewer)

    def _new_session(self, reviewer: str) -> Session:
        session = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32),
                          reviewer=reviewer_name(reviewer) or self.default_reviewer,
                          expires=time.monotonic() + SESSION_HOURS * 3600)
        with self._lock:
            self._sessions[session.id] = session
        return session

    def session(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if session.expires < time.monotonic():
                del self._sessions[session_id]
                return None
            return session

    def logout(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
