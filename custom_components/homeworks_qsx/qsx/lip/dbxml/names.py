"""Names and numbers of the project database that its builder and its parser share (dbxml.md)."""

from __future__ import annotations

from typing import Final

from ...const import (
    HOMEOWNER_KEYPAD_MODEL,
    MODULE_FAMILY,
    SHADE_MODEL,
    CcoType,
    KeypadType,
    LoadType,
    ProgrammingModel,
)
from ...model import DeviceDescription, DeviceKind

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
# D2: a dimmed zone's output type by its load type (any other load type is served as INC); every client treats
# these as dimmable. Read back, each suggests a load type when ours is missing.
DIMMED_OUTPUT_TYPES: Final = {
    LoadType.INCANDESCENT: "INC",
    LoadType.MLV: "MLV",
    LoadType.ELV: "ELV",
}
DEFAULT_DIMMED_OUTPUT_TYPE: Final = "INC"
DIMMED_OUTPUT_TYPES_READ: Final = {
    "INC": LoadType.INCANDESCENT,
    "MLV": LoadType.MLV,
    "ELV": LoadType.ELV,
    "AUTO_DETECT": LoadType.INCANDESCENT,
    "LED": LoadType.INCANDESCENT,
    "FLUORESCENT_DB": LoadType.ELECTRONIC_BALLAST,
}
# D3: shades; pylutron and Home Assistant's `lutron` make `SYSTEM_SHADE` a cover (raise, lower, stop, level).
SHADE_OUTPUT_TYPE: Final = "SYSTEM_SHADE"
SHADE_OUTPUT_TYPES_READ: Final = frozenset({"SYSTEM_SHADE", "SIVOIA_QED"})

# D4: device types. Keypads and motion sensors use the names pylutron knows; the power modules and shades names of
# our own (clients that do not know them skip them).
DIMMING_MODULE_TYPE: Final = "QS_DIMMING_POWER_MODULE"
SHADE_DEVICE_TYPE: Final = "QS_SHADE"
SEETOUCH_KEYPAD_TYPE: Final = "SEETOUCH_KEYPAD"
PALLADIOM_KEYPAD_TYPE: Final = "PALLADIOM_KEYPAD"
HOMEOWNER_KEYPAD_TYPE: Final = "HOMEOWNER_KEYPAD"
MOTION_SENSOR_TYPE: Final = "MOTION_SENSOR"
# Keypad types a real database may hold (pylutron's list), each read as a keypad.
KEYPAD_TYPES_READ: Final = frozenset(
    {
        "HWI_SEETOUCH_KEYPAD",
        "SEETOUCH_KEYPAD",
        "INTERNATIONAL_SEETOUCH_KEYPAD",
        "SEETOUCH_TABLETOP_KEYPAD",
        "PICO_KEYPAD",
        "HYBRID_SEETOUCH_KEYPAD",
        "HOMEOWNER_KEYPAD",
        "PALLADIOM_KEYPAD",
        "HWI_SLIM",
        "GRAFIK_T_HYBRID_KEYPAD",
    }
)
DEVICE_KINDS_READ: Final = {
    DEVICE_TYPE: DeviceKind.SWITCHING_MODULE,
    DIMMING_MODULE_TYPE: DeviceKind.DIMMING_MODULE,
    SHADE_DEVICE_TYPE: DeviceKind.SHADE,
    MOTION_SENSOR_TYPE: DeviceKind.OCCUPANCY_SENSOR,
    **dict.fromkeys(KEYPAD_TYPES_READ, DeviceKind.KEYPAD),
}
# D4: a keypad's LIP type by its LEAP type (`DeviceDescription.device_type`), and back.
KEYPAD_DEVICE_TYPES: Final = {
    KeypadType.SEETOUCH: SEETOUCH_KEYPAD_TYPE,
    KeypadType.PALLADIOM: PALLADIOM_KEYPAD_TYPE,
    KeypadType.HOMEOWNER: HOMEOWNER_KEYPAD_TYPE,
}
KEYPAD_TYPES_BY_DEVICE_TYPE: Final = {
    device_type: keypad_type for keypad_type, device_type in KEYPAD_DEVICE_TYPES.items()
}
# Model numbers of devices a real database lists without ours (it names the type, not the model).
DEFAULT_MODELS: Final = {
    DIMMING_MODULE_TYPE: "QS dimming module",
    SHADE_DEVICE_TYPE: SHADE_MODEL,
    MOTION_SENSOR_TYPE: "Occupancy sensor",
    HOMEOWNER_KEYPAD_TYPE: HOMEOWNER_KEYPAD_MODEL,
    PALLADIOM_KEYPAD_TYPE: "Palladiom Keypad",
}
DEFAULT_KEYPAD_MODEL: Final = "seeTouch Keypad"

# D5: a button's `ButtonType` by its programming (the values Home Assistant's `lutron` makes a scene of), and, for
# raise and lower, its `Direction`. Read back without ours, a type gives the programming it names.
BUTTON_TYPES: Final = {
    ProgrammingModel.SINGLE_ACTION: "SingleAction",
    ProgrammingModel.TOGGLE: "AdvancedToggle",
    ProgrammingModel.RAISE: "SingleSceneRaiseLower",
    ProgrammingModel.LOWER: "SingleSceneRaiseLower",
    ProgrammingModel.OPEN_STOP_CLOSE_STOP: "Toggle",
}
UNPROGRAMMED_BUTTON_TYPE: Final = "Unprogrammed"
BUTTON_DIRECTIONS: Final = {
    ProgrammingModel.RAISE: "Raise",
    ProgrammingModel.LOWER: "Lower",
}
PROGRAMMING_BY_BUTTON_TYPE: Final = {
    "SingleAction": ProgrammingModel.SINGLE_ACTION,
    "AdvancedToggle": ProgrammingModel.TOGGLE,
    "Toggle": ProgrammingModel.TOGGLE,
    "MasterRaiseLower": ProgrammingModel.RAISE,
    "SingleSceneRaiseLower": ProgrammingModel.RAISE,
}

PRODUCT_TYPE_HOMEWORKS_QS: Final = "4"
BUTTON_NAMES: Final = ("Zn.1", "Zn.2", "Zn.3", "Zn.4", "Prog")
UNKNOWN_SERIAL: Final = "00000000"


def keypad_device_type(device: DeviceDescription) -> str:
    """Return the `DeviceType` a keypad is listed with (D4): by its LEAP type, else by its model."""
    if device.device_type in KEYPAD_DEVICE_TYPES:
        return KEYPAD_DEVICE_TYPES[KeypadType(device.device_type)]
    model = (device.model_number or "").lower()
    if "homeowner" in model:
        return HOMEOWNER_KEYPAD_TYPE
    if "palladiom" in model or model.startswith("hqwt-u"):
        return PALLADIOM_KEYPAD_TYPE
    return SEETOUCH_KEYPAD_TYPE
