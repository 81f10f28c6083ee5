"""The Lutron Integration Protocol: the emulator's network face (server) and the client of a live processor.

`protocol` parses and formats lines, `dbxml` builds and parses the project database, `server` serves an
`Emulator` over LIP and HTTP, `client` speaks to a processor, and `backend` offers the client as a `QsxBackend`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:
    from ..emulator.limits import DEFAULT_HOST
    from ..emulator.lip.dbxml_build import build_dbxml
    from ..emulator.lip.server import LipServer
    from .backend import LipBackend
    from .client import LipClient
    from .dbxml import parse_dbxml
    from .protocol import (
        DEFAULT_MAX_SESSIONS,
        DEFAULT_USERNAME,
        EMULATOR_HTTP_PORT,
        EMULATOR_LIP_PORT,
        HTTP_PORT,
        LIP_PORT,
    )

_MODULES = {
    "DEFAULT_USERNAME": ".protocol",
    "EMULATOR_HTTP_PORT": ".protocol",
    "EMULATOR_LIP_PORT": ".protocol",
    "HTTP_PORT": ".protocol",
    "LIP_PORT": ".protocol",
    "LipBackend": ".backend",
    "LipClient": ".client",
    "build_dbxml": "..emulator.lip.dbxml_build",
    "parse_dbxml": ".dbxml",
    "LipServer": "..emulator.lip.server",
    "DEFAULT_HOST": "..emulator.limits",
    "DEFAULT_MAX_SESSIONS": ".protocol",
}
__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_USERNAME",
    "EMULATOR_HTTP_PORT",
    "EMULATOR_LIP_PORT",
    "HTTP_PORT",
    "LIP_PORT",
    "LipBackend",
    "LipClient",
    "LipServer",
    "build_dbxml",
    "parse_dbxml",
]

_resolve = lazy_exports(__name__, _MODULES)


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use."""
    return _resolve(name)
