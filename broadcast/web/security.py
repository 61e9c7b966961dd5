"""What guards every request and response, whatever part of the app answers it.

- SecurityHeaders: the Content-Security-Policy (only this server's own script and style
  files, so text from a transcript can never run as script even if an escape were missed),
  no framing, no MIME sniffing, no Referer — on every response, a 500 included (it wraps
  Starlette's error middleware, see app.WebApp).
- BodyLimit: a request body over MAX_BODY_BYTES (MAX_TAKE_BYTES for a studio take, a POST to
  TAKE_PATH) gets 413 before anything parses it — at once when Content-Length says so, as soon
  as the count passes the limit for a chunked body.
- allowed_hosts: the Host names a browser may use to reach the page (DNS rebinding: a web
  page elsewhere whose name is pointed at this PC still sends its own name, and is refused)."""

from __future__ import annotations

import ipaddress
import re
import socket
import struct

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse

from broadcast.web.auth import is_loopback

try:
    import fcntl   # Linux and other POSIX systems: interface addresses by ioctl
except ImportError:   # Windows: the PC's name resolves to all its addresses
    fcntl = None

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = ((b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"))
# The largest form the pages send is one item's corrected transcript and note.
MAX_BODY_BYTES = 1 << 20
# A recorded take (Opus at 32 kbit/s: about 35 minutes in 8 MiB): the studio's own limit
# ([record] max_upload_mb) applies within this one.
MAX_TAKE_BYTES = 8 << 20
TAKE_PATH = re.compile(r"/studio/(phrase/[^/]+|read/[^/]+/[^/]+)/take")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_BINDS = ("0.0.0.0", "::", "")
SIOCGIFADDR = 0x8915   # Linux: an interface's IPv4 address


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (pure ASGI, so file responses stream untouched)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit; Starlette answers it with 413."""

    def __init__(self, limit: int = MAX_BODY_BYTES) -> None:
        super().__init__(status_code=413, detail=too_large(limit))


def too_large(limit: int) -> str:
    return f"Request too large: at most {limit >> 20} MiB."


class BodyLimit:
    """413 for a request body over `max_bytes`: before the app runs when Content-Length is over,
    from the app's own `receive` (BodyTooLarge) when a chunked body grows past it."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, take_bytes: int = MAX_TAKE_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.take_bytes = take_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = (self.take_bytes if scope.get("method") == "POST" and TAKE_PATH.fullmatch(scope.get("path", ""))
                 else self.max_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            response = PlainTextResponse(too_large(limit), status_code=413, headers={"Connection": "close"})
            return await response(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        return await self.app(scope, counted, send)


def host_name(value: str) -> str:
    """A name or address as a browser writes it in the Host header: lower case, IPv6 in brackets
    (without a zone)."""
    text = value.strip().lower()
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return text
    return f"[{address}]" if address.version == 6 else str(address)


def _interface_addresses() -> set[str]:
    """This PC's addresses: those its name resolves to, the one with the default route, and on
    Linux every interface's IPv4 and IPv6 address."""
    found: set[str] = set()
    try:
        found |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        pass
    for family, probe in ((socket.AF_INET, ("192.0.2.1", 9)), (socket.AF_INET6, ("2001:db8::1", 9))):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect(probe)   # UDP: picks the route, sends nothing
                found.add(s.getsockname()[0])
        except OSError:
            pass
    if fcntl is not None and hasattr(socket, "if_nameindex"):
        for _, name in socket.if_nameindex():
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
                found.add(socket.inet_ntoa(packed[20:24]))
            except OSError:
                pass
        try:
            with open("/proc/net/if_inet6", encoding="ascii") as fh:
                for line in fh:
                    found.add(str(ipaddress.IPv6Address(bytes.fromhex(line.split()[0]))))
        except (OSError, ValueError, IndexError):
            pass
    return found


def default_allowed_hosts(bind_host: str) -> list[str]:
    """The Host names to accept when `[review] allowed_hosts` is not set: the loopback names for
    a loopback address; otherwise the address listened on and this PC's name (`name`,
    `name.local`), and for 0.0.0.0 / :: every address of this PC and the loopback names."""
    host = host_name(bind_host)
    if is_loopback(host):
        return list(LOOPBACK_HOSTS)
    machine = socket.gethostname().lower()
    names = [machine, f"{machine}.local"] if machine else []
    if bind_host.strip() in WILDCARD_BINDS:
        addresses = sorted(host_name(a) for a in _interface_addresses()
                           if not ipaddress.ip_address(a.split("%")[0]).is_link_local)
        return _unique([*LOOPBACK_HOSTS, *names, *addresses])
    return _unique([host, *names])


def allowed_hosts(bind_host: str, configured: list[str] | None, url_host: str) -> list[str]:
    """The Host allow-list: `configured` ([review] allowed_hosts) when given, else the default
    for `bind_host`; the host of the link the server prints is always on it."""
    chosen = [host_name(h) for h in configured] if configured else default_allowed_hosts(bind_host)
    return _unique([*chosen, host_name(url_host)])


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
