"""LEAP, the native integration protocol of HomeWorks QSX: the emulator's face and the client of a live processor.

`protocol` holds the messages (framing, communiques, status codes, paging), `resources` the processor's resource
tree, `certs` the emulator's certificate authority, `server` and `pairing` the emulator's LEAP and pairing ports;
`client` speaks to a processor, `system` turns what it reports into a `SystemDescription`, `backend` offers the
client as a `QsxBackend`, and `pair` obtains certificates from a processor through pylutron-caseta.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:
    from .backend import LEAP_CAPABILITIES, LeapBackend
    from .certs import LeapCredentials
    from .client import LeapCertificates, LeapClient
    from .pair import async_pair_processor, button_wait, connect_wait
    from .pairing import PairingServer
    from .protocol import LEAP_PORT, PAIRING_PORT
    from .resources import Profile
    from .server import LeapServer

_MODULES = {
    "LEAP_CAPABILITIES": ".backend",
    "LeapBackend": ".backend",
    "LeapCredentials": ".certs",
    "LeapCertificates": ".client",
    "LeapClient": ".client",
    "async_pair_processor": ".pair",
    "button_wait": ".pair",
    "connect_wait": ".pair",
    "PairingServer": ".pairing",
    "LEAP_PORT": ".protocol",
    "PAIRING_PORT": ".protocol",
    "Profile": ".resources",
    "LeapServer": ".server",
}
__all__ = [
    "LEAP_CAPABILITIES",
    "LEAP_PORT",
    "LeapBackend",
    "LeapCertificates",
    "LeapClient",
    "LeapCredentials",
    "LeapServer",
    "PAIRING_PORT",
    "PairingServer",
    "Profile",
    "async_pair_processor",
    "button_wait",
    "connect_wait",
]

_resolve = lazy_exports(__name__, _MODULES)


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use."""
    return _resolve(name)
