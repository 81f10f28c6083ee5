"""Enumerations and hardware constants of HomeWorks QSX systems (rules P1–P6, M1–M3, M9–M12, O1–O4)."""

from __future__ import annotations

from enum import IntEnum, StrEnum
import math
from typing import Final, TypeIs

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
PULSE_RANGE: Final = (
    f"a pulse lasts {MIN_PULSE_SECONDS:g} to {MAX_PULSE_SECONDS:g} s"  # O2
)
DEFAULT_CCO_NAME: Final = "CCO"
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
    NOT_REPORTED = "not_reported"  # LEAP: the processor showed the level unchanged without saying why (LP19)


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
    OCCUPANCY = (
        "occupancy"  # an occupancy sensor: value True = a person is in its area (LP44)
    )
    MANUAL_LEVEL = "manual_level"  # a shade moved by hand, a dimmed zone set at its control: value 0..100
    PROCESSOR = (
        "processor"  # a processor of the project: value True = on the network (LP53)
    )


class ButtonAction(StrEnum):
    """What a keypad button reports (LP38), named as Home Assistant's `lutron_caseta` names them.

    LEAP `EventType`: `Press` → press, `Release` → release, `LongHold` → long_press, `MultiTap` → multi_tap;
    any other type reads as release, as Home Assistant treats it.
    """

    PRESS = "press"
    RELEASE = "release"
    LONG_PRESS = "long_press"
    MULTI_TAP = "multi_tap"


class Gesture(StrEnum):
    """How a keypad button is pressed, by a person or by a client (LP40)."""

    TAP = "tap"  # LEAP `PressAndRelease`: press, then release
    HOLD = (
        "hold"  # LEAP `PressAndHold`: press, then long_press after 2 s, until `RELEASE`
    )
    RELEASE = "release"  # LEAP `Release`: ends a hold
    DOUBLE_TAP = "double_tap"  # LEAP `MultiTap`: a second tap within 0.5 s of a release


class ShadeMove(StrEnum):
    """A shade's movement commands (LP31, LP33)."""

    RAISE = "raise"  # open, until stopped or fully open
    LOWER = "lower"  # close, until stopped or fully closed
    STOP = "stop"


class ProgrammingModel(StrEnum):
    """How a keypad button is programmed (LP36); the values are LEAP's `ProgrammingModelType`s."""

    SINGLE_ACTION = "SingleActionProgrammingModel"  # set zones to levels (a scene)
    TOGGLE = "AdvancedToggleProgrammingModel"  # its zones on at their levels, else off
    RAISE = "SingleSceneRaiseProgrammingModel"  # raise its zones while held
    LOWER = "SingleSceneLowerProgrammingModel"  # lower its zones while held
    OPEN_STOP_CLOSE_STOP = (
        "OpenStopCloseStopProgrammingModel"  # a shade button: open, stop, close, stop
    )


class KeypadType(StrEnum):
    """What a keypad is, as LEAP names it (`DeviceType`, LP35)."""

    SEETOUCH = "SeeTouchKeypad"  # (ours) the emulator's QS wallstation
    # HQWT-U-P4W, HQWT-U-P2W: buttons numbered by position (LP36)
    PALLADIOM = "PalladiomKeypad"
    HOMEOWNER = "HomeownerKeypad"  # the processor's virtual keypad: no serial, no link address, buttons 1..7


class OccupancySensorType(StrEnum):
    """What an occupancy sensor is, as LEAP names it (`DeviceType`, LP43): the types pylutron reads."""

    OCCUPANCY = "RPSOccupancySensor"
    CEILING = "RPSCeilingMountedOccupancySensor"
    WALL = "RPSWallMountedOccupancySensor"


HOMEOWNER_KEYPAD_MODEL: Final = "Homeowner Keypad"  # LP35
SHADE_MODEL: Final = "QS Shade"  # LP30
# (ours) The QS dimming power module the emulator models: four adaptive phase dimmed zones, like the switching
# module's family (120 V, 16 A per module), 5 A per zone, for incandescent, MLV and ELV loads.
DIMMING_MODULE_MODEL: Final = "LQSE-4A5-120-D"
DIMMER_ZONE_RATING_A: Final = 5.0
DIMMING_MODULE_RATING_A: Final = 16.0
DIMMABLE_LOAD_TYPES: Final = frozenset(
    {LoadType.INCANDESCENT, LoadType.MLV, LoadType.ELV}
)


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


class IntegrationIdKind(StrEnum):
    """What an integration id names, as `?INTEGRATIONID,3,<id>` reports it (one namespace for both, L3)."""

    DEVICE = "DEVICE"  # the processor or a module
    OUTPUT = "OUTPUT"  # a zone or a CCO


MIN_ADDRESS: Final = 1  # L3: a device's address on its link
MAX_ADDRESS: Final = 99
SERIAL_DIGITS: Final = 8  # L3: serial numbers are 8 upper-case hexadecimal digits
MOTOR_RATING_HP: Final = 1 / 3  # M3
ZONE_INTEGRATION_ID_STRIDE: Final = (
    10  # default ids: module 10*n, zones 10*n+1..10*n+4, CCO 10*n+5
)
CCO_INTEGRATION_ID_OFFSET: Final = 5

# P5: power failure memory of the processor.
TIMECLOCK_RETENTION_YEARS: Final = 10
TIMECLOCK_DRIFT_SECONDS_PER_YEAR: Final = 60.0

# P6: processor electrical and environmental facts (diagnostics, not enforced).
PROCESSOR_SUPPLY_VOLTS: Final = (24.0, 36.0)
PROCESSOR_SUPPLY_CURRENT_A: Final = 0.25
LINK_SUPPLY_VOLTS: Final = (24.0, 36.0)
LINK_SUPPLY_CURRENT_A: Final = 2.0
PROCESSOR_TYPICAL_POWER_W: Final = 4.2
PROCESSOR_POWER_DRAW_UNITS: Final = 8
PROCESSOR_HEAT_TYPICAL_BTU_HR: Final = 15.0
PROCESSOR_HEAT_MAX_BTU_HR: Final = 24.0  # two links at 2 A each
OPERATING_TEMPERATURE_C: Final = (
    0.0,
    40.0,
)  # also the module's room and panel ambient (M12)
OPERATING_HUMIDITY_PERCENT: Final = (0.0, 90.0)

# M12: heat given off by one switching module.
MODULE_MAX_HEAT_BTU_HR: Final = 24.0

# O4: CCO contact ratings, resistive (diagnostic facts, not enforced).
CCO_DC_RATING: Final = (24.0, 1.0)  # (max volts, max amps)
CCO_AC_RATING: Final = (24.0, 0.5)

# L1: QS link cable.
QS_LINK_MAX_LENGTH_FT: Final = 2000.0
QS_LINK_MAX_LENGTH_M: Final = 610.0
FEET_PER_METRE: Final = 1 / 0.3048
QS_LINK_TERMINALS: Final = ("COM", "not connected", "MUX", "MUX")  # terminals 1..4


def processor_facts(model: ProcessorModel) -> dict[str, object]:
    """Return the electrical and environmental facts of a processor model (P5, P6), for diagnostics."""
    return {
        "model": model.value,
        "links": model.link_count,
        "supply_volts": list(PROCESSOR_SUPPLY_VOLTS),
        "supply_current_a": PROCESSOR_SUPPLY_CURRENT_A,
        "link_supply_volts": list(LINK_SUPPLY_VOLTS),
        "link_supply_current_a": LINK_SUPPLY_CURRENT_A,
        "typical_power_w": PROCESSOR_TYPICAL_POWER_W,
        "power_draw_units": PROCESSOR_POWER_DRAW_UNITS,
        "heat_typical_btu_hr": PROCESSOR_HEAT_TYPICAL_BTU_HR,
        "heat_max_btu_hr": PROCESSOR_HEAT_MAX_BTU_HR,
        "operating_temperature_c": list(OPERATING_TEMPERATURE_C),
        "operating_humidity_percent": list(OPERATING_HUMIDITY_PERCENT),
        "timeclock_retention_years": TIMECLOCK_RETENTION_YEARS,
        "timeclock_drift_seconds_per_year": TIMECLOCK_DRIFT_SECONDS_PER_YEAR,
    }


def module_facts() -> dict[str, object]:
    """Return the ratings and facts of the switching module (M1, M3, M12, O4), for diagnostics."""
    return {
        "model": MODULE_MODEL,
        "zones": ZONES_PER_MODULE,
        "mains_voltage": MAINS_VOLTAGE,
        "zone_rating_a": ZONE_RATING_A,
        "module_rating_a": MODULE_RATING_A,
        "motor_rating_hp": round(MOTOR_RATING_HP, 3),
        "max_heat_btu_hr": MODULE_MAX_HEAT_BTU_HR,
        "calibration_point_max_c": HIGH_TEMPERATURE_C,
        "ambient_temperature_c": list(OPERATING_TEMPERATURE_C),
        "cco_dc_rating": {"volts": CCO_DC_RATING[0], "amps": CCO_DC_RATING[1]},
        "cco_ac_rating": {"volts": CCO_AC_RATING[0], "amps": CCO_AC_RATING[1]},
    }


def default_zone_name(number: int) -> str:
    """Return the name of a zone nobody named: "Zone <number>"."""
    return f"Zone {number}"


def is_pulse_seconds(value: object) -> TypeIs[float]:
    """Say whether `value` is a CCO pulse time: a finite number of seconds in the range of O2."""
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and MIN_PULSE_SECONDS <= value <= MAX_PULSE_SECONDS
    )


def check_pulse_seconds(value: object) -> float:
    """Return `value` as a CCO pulse time in seconds; `ValueError` naming the range (O2) when it is not one."""
    if not is_pulse_seconds(value):
        raise ValueError(f"{value!r} is not a pulse time: {PULSE_RANGE}")
    return float(value)


# An emulated system's state is written at most this long after a change (command line and Home Assistant).
SAVE_DELAY_SECONDS: Final = 1.0
