"""Enumerations and hardware constants of HomeWorks QSX systems (rules P1–P6, M1–M3, M9–M12, O1–O4)."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final

MODULE_MODEL: Final = "LQSE-4S8-120-D"
MODULE_FAMILY: Final = "QS_SWITCHING_POWER_MODULE"
ZONES_PER_MODULE: Final = 4  # M1
MAINS_VOLTAGE: Final = 120.0  # M3
ZONE_RATING_A: Final = 8.0  # M3
MODULE_RATING_A: Final = 16.0  # M3, M4
MAX_CCI_GROUP_SIZE: Final = 32  # C7
DEFAULT_PULSE_SECONDS: Final = 1.0  # O2
MIN_PULSE_SECONDS: Final = 0.25
MAX_PULSE_SECONDS: Final = 3600.0
HIGH_TEMPERATURE_C: Final = 65.0  # M12: calibration point
DEFAULT_TEMPERATURE_C: Final = 25.0
PROCESSOR_INTEGRATION_ID: Final = 1


class ProcessorModel(StrEnum):
    """QSX processor models (P1)."""

    HQP7_1 = "HQP7-1"
    HQP7_2 = "HQP7-2"
    HQP7_MDU_1 = "HQP7-MDU-1"
    HQP7_MDU_2 = "HQP7-MDU-2"

    @property
    def link_count(self) -> int:
        """Number of links the processor drives."""
        return 2 if self in (ProcessorModel.HQP7_2, ProcessorModel.HQP7_MDU_2) else 1

    @property
    def is_mdu(self) -> bool:
        """Whether this is a multi-dwelling-unit variant (smaller QS link capacity, P3)."""
        return self in (ProcessorModel.HQP7_MDU_1, ProcessorModel.HQP7_MDU_2)


class LinkType(StrEnum):
    """What a processor link is configured as (P2)."""

    QS = "qs"
    CLEAR_CONNECT_A = "clear_connect_a"


class LoadType(StrEnum):
    """Load types a switching module zone may drive (M3). Receptacles are not allowed."""

    INCANDESCENT = "incandescent"
    MLV = "mlv"
    ELV = "elv"
    AC_GENERAL = "ac_general"
    ELECTRIC_DISCHARGE = "electric_discharge"
    ELECTRONIC_BALLAST = "electronic_ballast"
    RESISTIVE = "resistive"
    INDUCTIVE = "inductive"
    CAPACITIVE = "capacitive"
    MOTOR = "motor"


class CcoType(StrEnum):
    """Contact closure output type (O2)."""

    MAINTAINED = "maintained"
    MOMENTARY = "momentary"


class OverrideLevel(StrEnum):
    """What a zone does when its module enters manual override (C2)."""

    ON = "on"
    OFF = "off"
    UNCHANGED = "unchanged"


class LedState(IntEnum):
    """LED states as the integration protocol numbers them (M9–M11)."""

    OFF = 0
    ON = 1
    FLASH = 2  # 1 blink every 3 s in program mode; also how scrolling (M10) is reported
    RAPID_FLASH = 3  # 10 blinks/s: override / emergency


class OperatingMode(StrEnum):
    """What a module is doing, most significant first (derived from power, bypass, CCI, link, program)."""

    NO_POWER = "no_power"
    BYPASS = "bypass"
    MANUAL_OVERRIDE = "manual_override"
    NO_LINK = "no_link"
    PROGRAM = "program"
    NORMAL = "normal"


class IgnoredReason(StrEnum):
    """Why a module ignored a command (C3, M7, M13, L2)."""

    MANUAL_OVERRIDE = "manual_override"
    NO_POWER = "no_power"
    NO_LINK = "no_link"
    BYPASS = "bypass"


class Button(IntEnum):
    """Buttons of a switching module, numbered as the integration protocol numbers them (M8)."""

    ZONE_1 = 1
    ZONE_2 = 2
    ZONE_3 = 3
    ZONE_4 = 4
    PROG = 5


class Fault(StrEnum):
    """Physical conditions only an emulator can simulate (the `#EMULATOR` commands)."""

    CCI = "cci"  # value: True = open
    POWER = "power"  # value: True = powered
    LINK = "link"  # value: True = link up
    BYPASS = "bypass"  # value: True = jumper installed
    TEMPERATURE = "temperature"  # value: degrees Celsius
    PROGRAM = "program"  # value: True = program mode


LINK_DEVICE_LIMIT: Final = 99  # P3: the processor is the 100th device
QS_LINK_ZONE_LIMIT: Final = 512
MDU_QS_LINK_DEVICE_LIMIT: Final = 50
MDU_QS_LINK_ZONE_LIMIT: Final = 50
CLEAR_CONNECT_ZONE_LIMIT: Final = 100


def link_limits(model: ProcessorModel, link_type: LinkType) -> tuple[int, int]:
    """Return (devices, zones) a link of this type on this processor model can hold (P3)."""
    if link_type is LinkType.CLEAR_CONNECT_A:
        return LINK_DEVICE_LIMIT, CLEAR_CONNECT_ZONE_LIMIT
    if model.is_mdu:
        return MDU_QS_LINK_DEVICE_LIMIT, MDU_QS_LINK_ZONE_LIMIT
    return LINK_DEVICE_LIMIT, QS_LINK_ZONE_LIMIT
