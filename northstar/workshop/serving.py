"""Which address the join link and QR code carry, so phones in the room can open them.

The facilitator's browser often shows `localhost`, which on a phone means the phone. In order:
`NORTHSTAR_PUBLIC_URL` (set it behind a proxy or tunnel), the browser's address when it is not a
loopback one, else this machine's network address when the server listens on the network
(`make run HOST=0.0.0.0`). When only localhost is known, the link says so with a warning.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from northstar.i18n import _

PUBLIC_URL_ENV = "NORTHSTAR_PUBLIC_URL"
WORKSHOP_PATH = "/Workshop"
_ALL_INTERFACES = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class JoinBase:
    """The base of the join link and, when phones cannot open it, why not (a sentence)."""

    url: str
    warning: str | None = None


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def network_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses, as its own name resolves (no packet sent)."""
    try:
        _name, _aliases, found = socket.gethostbyname_ex(socket.gethostname())
    except OSError:
        return []
    return [a for a in dict.fromkeys(found) if not is_loopback(a)]


def join_base(browser_url: str | None, bind_address: str | None, port: int,
              configured: str | None = None, addresses: Sequence[str] | None = None) -> JoinBase:
    """Where phones open the Workshop page (see the module's docstring for the order)."""
    configured = (configured if configured is not None else os.environ.get(PUBLIC_URL_ENV, "")).strip()
    if configured:
        base = configured.rstrip("/")
        return JoinBase(base if base.endswith(WORKSHOP_PATH) else base + WORKSHOP_PATH)
    parts = urlsplit(browser_url or "")
    if parts.hostname and not is_loopback(parts.hostname):
        return JoinBase(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")))
    listening_widely = (bind_address or "") in _ALL_INTERFACES
    found = list(addresses if addresses is not None else network_addresses())
    if listening_widely and found:
        scheme = parts.scheme or "http"
        return JoinBase(f"{scheme}://{found[0]}:{parts.port or port}{WORKSHOP_PATH}")
    local = urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) if parts.hostname else \
        f"http://localhost:{port}{WORKSHOP_PATH}"
    if not listening_widely:
        why = _("Phones cannot open this link: the server listens on this computer only. Restart with "
                "`make run HOST=0.0.0.0`, or set {env} to the address people can reach.", env=PUBLIC_URL_ENV)
    else:
        why = _("Phones cannot open this link: this computer has no network address. Restart with "
                "`make run HOST=0.0.0.0`, or set {env} to the address people can reach.", env=PUBLIC_URL_ENV)
    return JoinBase(local, why)
