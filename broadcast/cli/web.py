"""`broadcast review serve`: the review web page (a thin shell over broadcast.web.app)."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import webbrowser

import click

from broadcast.cli.review import _default_reviewer
from broadcast.core.config import load_workspace, review_settings
from broadcast.web.auth import Auth, hash_password, is_loopback, password_setting
from broadcast.web.app import create_app
from broadcast.web.security import allowed_hosts

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# Connections served at once (each request body is at most 1 MiB: web.security.MAX_BODY_BYTES).
MAX_CONNECTIONS = 100


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                              flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise click.UsageError(f"cannot use --host {host!r}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}"
                                   " — choose another --port (0 picks a free one)") from None
    return sock


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return DEFAULT_HOST  # the link printed here is for this PC; others use its LAN address
    return f"[{host}]" if ":" in host else host


def _log_to_stderr() -> None:
    """The web app's warnings (a recording ffmpeg cannot convert, with its path) on stderr,
    beside uvicorn's own."""
    logger = logging.getLogger("broadcast.web")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("review page: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _say(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()


def _offer_new_links(auth: Auth, base: str) -> None:
    """Each Enter typed in the server's terminal prints a fresh one-time login link (a second
    reviewer, or a browser that lost its session)."""
    for _ in sys.stdin:
        _say(f"new login link: {base}/login?token={auth.issue_token()}")


@click.command()
@click.option("--host", default=None, metavar="H",
              help=f"Address to listen on. Default {DEFAULT_HOST}: this PC only. Any other address (e.g. "
              "0.0.0.0 for the commune network) must be named here and needs a password in broadcast.toml "
              "([review] password_hash); without one the server refuses to start (exit 2).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), metavar="P",
              help=f"Port to listen on (default: [review] port in broadcast.toml, else {DEFAULT_PORT}; "
              "0 picks a free port).")
@click.option("--no-open", "no_open", is_flag=True,
              help="Do not open the page in a web browser; only print its address.")
@click.option("--hash-password", "make_hash", is_flag=True,
              help="Ask for a password (twice), print the password_hash line to put under [review] in "
              "broadcast.toml, and exit without serving.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, no_open: bool, make_hash: bool) -> None:
    """Serve the office web app (`broadcast serve`, also `broadcast review serve`): the review
    queue — listen to citizens' feedback, read and correct transcripts, tag, assign, reply,
    resolve, export CSV — and the recording studio (/studio), in a browser.

    \b
    Signing in:
    - no password configured: the page listens on 127.0.0.1 only and this command prints a
      one-time login link (valid for an hour); it is exchanged once for a browser session
      (12 hours) and then stops working. Press Enter in this terminal for a new link (another reviewer).
    - [review] password_hash = "scrypt$..." in broadcast.toml (make it with --hash-password;
      a plain `password = "..."` of 8+ characters also works but is stored readable): every
      reviewer signs in with the password, no link is printed. Needed for --host other
      than a loopback address.

    Other [review] settings: port = 8765, language = "vi" | "en" (labels; ?lang=en switches too),
    allowed_hosts = ["192.168.1.10", "may-xa.local"] (the names browsers may use for the page;
    default: the loopback names on 127.0.0.1, else the address listened on and this PC's name),
    trusted_proxies = ["127.0.0.1"] (a reverse proxy whose X-Forwarded-For is believed; by
    default the header is ignored)."""
    if make_hash:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < 8:
            raise click.UsageError("use at least 8 characters")
        _say("Put this under [review] in broadcast.toml:")
        _say(f'password_hash = "{hash_password(password)}"')
        return

    ws = ctx.obj.get("workspace") if ctx.obj else None
    if ws is None:
        ws = load_workspace(ctx.obj.get("workspace_arg") if ctx.obj else None)
    settings = ws.config.section("review")
    reach = review_settings(ws.config, ws.root / "broadcast.toml")
    password = password_setting(settings)
    bind_host = host if host is not None else DEFAULT_HOST
    loopback = is_loopback(bind_host)
    if not loopback and password is None:
        raise click.UsageError(
            f"refusing to listen on {bind_host} without a password: anyone on that network could open "
            "citizens' feedback. Add password_hash under [review] in broadcast.toml (make one with "
            "`broadcast review serve --hash-password`), or leave out --host to serve on 127.0.0.1 only.")
    if port is None:
        port = settings.get("port", DEFAULT_PORT)
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise click.UsageError("[review] port in broadcast.toml must be a number from 0 to 65535")

    # uvicorn loads only to serve, not for `review list` and the other commands of this group.
    import uvicorn

    hosts = allowed_hosts(bind_host, list(reach.allowed_hosts or []), _url_host(bind_host))
    auth = Auth(password_hash=password, default_reviewer=_default_reviewer())
    app = create_app(ws, auth, allowed_hosts=hosts, language=settings.get("language"))
    sock = _bind(bind_host, port)
    base = f"http://{_url_host(bind_host)}:{sock.getsockname()[1]}"
    if password is None:
        url = f"{base}/login?token={auth.issue_token()}"
        _say(f"Review page (one-time login link): {url}")
        _say("Press Enter here for another login link; Ctrl+C stops the server.")
        threading.Thread(target=_offer_new_links, args=(auth, base), daemon=True).start()
    else:
        url = f"{base}/"
        _say(f"Review page: {url} (sign in with the [review] password)")
        if not loopback:
            _say(f"Listening on {bind_host}: other PCs use this PC's network address and port "
                 f"{sock.getsockname()[1]}. Ctrl+C stops the server.")
            _say(f"Browsers may reach it as: {', '.join(hosts)} (others: [review] allowed_hosts).")
    if not no_open:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    _log_to_stderr()
    # X-Forwarded-For is believed only from the configured proxies: uvicorn's default trusts
    # it from 127.0.0.1, where any local program — or a client through a port forward — could
    # name a new address for each password guess.
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            proxy_headers=bool(reach.trusted_proxies),
                            forwarded_allow_ips=list(reach.trusted_proxies) or None,
                            limit_concurrency=MAX_CONNECTIONS)
    uvicorn.Server(config).run(sockets=[sock])


def register(cli: click.Group) -> None:
    cli.commands["review"].add_command(serve)
    cli.add_command(serve, "serve")          # `broadcast serve`: the same app, named for what it holds


__all__ = ["register", "serve"]
