"""The project database `DbXmlInfo.xml` (dbxml.md): built from a system description, and parsed back.

`parse` reads it (the client side) and `names` holds what it shares with the emulator's `emulator/lip/dbxml_build.py`,
which writes it.

The document follows the schema third-party clients (pylutron, openHAB) parse. Beside the standard attributes it
carries attributes of our own (module link and address, zone load type and current, override levels, CCO pulse
time, the processor) so that our client can rebuild the exact `SystemDescription`. A real processor's database
lacks them; the parser then falls back to defaults.
"""

from .names import (
    BUTTON_NAMES,
    CCO_OUTPUT_TYPES,
    DEVICE_TYPE,
    PRODUCT_TYPE_HOMEWORKS_QS,
    SWITCHED_OUTPUT_TYPES,
    UNKNOWN_SERIAL,
    ZONE_OUTPUT_TYPE,
)
from .parse import parse_dbxml

__all__ = [
    "BUTTON_NAMES",
    "CCO_OUTPUT_TYPES",
    "DEVICE_TYPE",
    "PRODUCT_TYPE_HOMEWORKS_QS",
    "SWITCHED_OUTPUT_TYPES",
    "UNKNOWN_SERIAL",
    "ZONE_OUTPUT_TYPE",
    "parse_dbxml",
]
