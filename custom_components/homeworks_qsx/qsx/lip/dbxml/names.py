"""Names and numbers of the project database that its builder and its parser share (dbxml.md)."""

from __future__ import annotations

from typing import Final

from ...const import MODULE_FAMILY, CcoType, LoadType

DEVICE_TYPE: Final = MODULE_FAMILY
ZONE_OUTPUT_TYPE: Final = "NON_DIM"
CCO_OUTPUT_TYPES: Final = {
    CcoType.MAINTAINED: "CCO_MAINTAINED",
    CcoType.MOMENTARY: "CCO_PULSED",
}
# Output types clients treat as on/off switches (dbxml.md); the load type they imply when ours is missing.
SWITCHED_OUTPUT_TYPES: Final = {
    "NON_DIM": LoadType.INCANDESCENT,
    "NON_DIM_INC": LoadType.INCANDESCENT,
    "NON_DIM_ELV": LoadType.ELV,
    "RELAY_LIGHTING": LoadType.INCANDESCENT,
    "EXHAUST_FAN_TYPE": LoadType.MOTOR,
    "SWITCHED_MOTOR": LoadType.MOTOR,
}
PRODUCT_TYPE_HOMEWORKS_QS: Final = "4"
BUTTON_NAMES: Final = ("Zn.1", "Zn.2", "Zn.3", "Zn.4", "Prog")
UNKNOWN_SERIAL: Final = "00000000"
