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
    from ..emulator.leap.certs import LeapCredentials
    from ..emulator.leap.pairing_server import PairingServer
    from ..emulator.leap.resources import Profile
    from ..emulator.leap.server import LeapServer
    from .backend import LEAP_CAPABILITIES, LeapBackend
    from .client import LeapCertificates, LeapClient, LeapEndpoint
    from .pairing_client import async_pair_processor, button_wait, connect_wait
    from .protocol import LEAP_PORT, PAIRING_PORT

_MODULES = {
    "LEAP_CAPABILITIES": ".backend",
    "LeapBackend": ".backend",
    "LeapCredentials": "..emulator.leap.certs",
    "LeapCertificates": ".client",
    "LeapClient": ".client",
    "LeapEndpoint": ".client",
    "async_pair_processor": ".pairing_client",
    "button_wait": ".pairing_client",
    "connect_wait": ".pairing_client",
    "PairingServer": "..emulator.leap.pairing_server",
    "LEAP_PORT": ".protocol",
    "PAIRING_PORT": ".protocol",
    "Profile": "..emulator.leap.resources",
    "LeapServer": "..emulator.leap.server",
}
__all__ = [
    "LEAP_CAPABILITIES",
    "LEAP_PORT",
    "LeapBackend",
    "LeapCertificates",
    "LeapClient",
    "LeapCredentials",
    "LeapEndpoint",
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
