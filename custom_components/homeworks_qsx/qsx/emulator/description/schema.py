"""The schema of a description as written (YAML or JSON): validators, schemas and their errors.

Leaf validators, voluptuous schemas, the names the format gives to enumerations, and the one formatting of a
schema error as a `DescriptionError` with the path of the offending value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import datetime as dt
from enum import StrEnum
import math
import re
from typing import Any, Final

import voluptuous as vol

from ...const import (
    DIMMABLE_LOAD_TYPES,
    DIMMING_MODULE_MODEL,
    MAINS_VOLTAGE,
    MAX_ADDRESS,
    MAX_PULSE_SECONDS,
    MIN_ADDRESS,
    MIN_PULSE_SECONDS,
    PULSE_RANGE,
    ZONES_PER_MODULE,
    CcoType,
    KeypadType,
    LinkType,
    LoadType,
    OccupancySensorType,
    OverrideLevel,
    ProcessorModel,
    ProgrammingModel,
)
from ...errors import DescriptionError
from ...model import ControlType, TimeclockEventType

DATABASE_DATE_FORMAT = "%m/%d/%Y,%H:%M:%S"
MAX_NAME_LENGTH = 100

LINK_TYPE_NAMES = {
    LinkType.QS: "QS wired",
    LinkType.CLEAR_CONNECT_A: "Clear Connect Type A",
}
SERIAL_RE = re.compile(r"^[0-9A-F]{8}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
AMPS_EPSILON = 1e-9  # watts / 120 is not exact in binary floating point

# (ours) Keypad buttons sit at positions 1..9 (LP36 numbers them by position): a keypad's default ids are its
# device id, +n for button n and +10+n for its LED (see `devices.py`).
MAX_BUTTON_NUMBER: Final = 9
HOMEOWNER_BUTTONS: Final = 7  # LP35: the virtual keypad's buttons 1..7
MAX_OFFSET_MINUTES: Final = (
    720  # (ours) an astronomic event runs at most 12 h before or after sunrise/sunset
)
MIN_LEVEL: Final = 0.0
MAX_LEVEL: Final = 100.0
DAY_NAMES: Final = (
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
)

# The names the format writes for enumerations (each also accepts the enumeration's value, e.g. LEAP's).
KEYPAD_TYPE_NAMES: Final = {
    KeypadType.SEETOUCH: "seetouch",
    KeypadType.PALLADIOM: "palladiom",
    KeypadType.HOMEOWNER: "homeowner",
}
SENSOR_TYPE_NAMES: Final = {
    OccupancySensorType.OCCUPANCY: "occupancy",
    OccupancySensorType.CEILING: "ceiling",
    OccupancySensorType.WALL: "wall",
}
PROGRAMMING_NAMES: Final = {
    ProgrammingModel.SINGLE_ACTION: "single_action",
    ProgrammingModel.TOGGLE: "toggle",
    ProgrammingModel.RAISE: "raise",
    ProgrammingModel.LOWER: "lower",
    ProgrammingModel.OPEN_STOP_CLOSE_STOP: "open_stop_close_stop",
}
EVENT_TYPE_NAMES: Final = {
    TimeclockEventType.FIXED_TIME: "fixed_time",
    TimeclockEventType.SUNRISE: "sunrise",
    TimeclockEventType.SUNSET: "sunset",
}
SHADE_TYPE_NAMES: Final = {
    ControlType.SHADE: "shade",
    ControlType.SHADE_WITH_TILT: "shade_with_tilt",
}


# --------------------------------------------------------------------------------------------------------------
# Leaf validators


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise vol.Invalid("expected an integer")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise vol.Invalid("expected a number")
    if not math.isfinite(value):
        raise vol.Invalid("expected a finite number")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise vol.Invalid("expected a string")
    text = value.strip()
    if not text:
        raise vol.Invalid("must not be empty")
    if len(text) > MAX_NAME_LENGTH:
        raise vol.Invalid(f"at most {MAX_NAME_LENGTH} characters")
    if _CONTROL_RE.search(text):
        raise vol.Invalid("must not contain control characters")
    return text


def _serial(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise vol.Invalid(
            "a serial number is a string of 8 hexadecimal digits (quote it in YAML)"
        )
    if not isinstance(value, str):
        raise vol.Invalid("a serial number is a string of 8 hexadecimal digits")
    serial = value.strip().upper()
    if not SERIAL_RE.match(serial):
        raise vol.Invalid(f"{value!r} is not 8 hexadecimal digits")
    return serial


def _enum[E: (ProcessorModel, LinkType, LoadType, CcoType, OverrideLevel)](
    enum: type[E], aliases: Mapping[str, E] | None = None
) -> Callable[[Any], E]:
    known = {member.value.lower(): member for member in enum}
    known.update(aliases or {})
    choices = ", ".join(member.value for member in enum)

    def validate(value: Any) -> E:
        if isinstance(value, str):
            key = value.strip().lower().replace(" ", "_")
            if key in known:
                return known[key]
            if key.replace("_", "-") in known:
                return known[key.replace("_", "-")]
        raise vol.Invalid(f"{value!r} is not one of: {choices}")

    return validate


_processor_model = _enum(ProcessorModel)
_link_type = _enum(
    LinkType,
    {
        "qs_wired": LinkType.QS,
        "rf": LinkType.CLEAR_CONNECT_A,
        "clear_connect": LinkType.CLEAR_CONNECT_A,
        "clear_connect_type_a": LinkType.CLEAR_CONNECT_A,
    },
)
_cco_type = _enum(CcoType, {"pulsed": CcoType.MOMENTARY})
_any_load_type = _enum(
    LoadType,
    {
        "tungsten": LoadType.INCANDESCENT,
        "inc": LoadType.INCANDESCENT,
        "ac_general_use": LoadType.AC_GENERAL,
        "nema_410": LoadType.ELECTRONIC_BALLAST,
    },
)
_any_override = _enum(OverrideLevel)


def _load_type(value: Any) -> LoadType:
    if isinstance(value, str) and "receptacle" in value.lower():
        raise vol.Invalid(
            "general purpose receptacles must not be switched by this module (M3)"
        )
    return _any_load_type(value)


def _override_level(value: Any) -> OverrideLevel:
    # YAML 1.1 reads a bare `on` / `off` as a boolean.
    if value is True:
        return OverrideLevel.ON
    if value is False:
        return OverrideLevel.OFF
    return _any_override(value)


def zone_amps(path: str, zone: Mapping[str, Any], rating: float, what: str) -> float:
    """Return a zone's load in amps from its `watts` (at the mains voltage) or `amps`; above `rating`, an error.

    `what` names the rating in the error, e.g. "the 8 A zone rating (M3)".
    """
    if "watts" in zone:
        watts: float = zone["watts"]
        amps = watts / MAINS_VOLTAGE
        if amps > rating + AMPS_EPSILON:
            raise DescriptionError(
                f"{path}.watts",
                f"{watts:g} W draws {amps:.2f} A at {MAINS_VOLTAGE:g} V, above {what}",
            )
        return amps
    amps = zone.get("amps", 0.0)
    if amps > rating:
        raise DescriptionError(f"{path}.amps", f"{amps:g} A is above {what}")
    return float(amps)


def _database_date(value: Any) -> str:
    if not isinstance(value, str):
        raise vol.Invalid("expected a string MM/DD/YYYY,HH:MM:SS")
    try:
        dt.datetime.strptime(value.strip(), DATABASE_DATE_FORMAT)  # noqa: DTZ007 - a naive stamp by design
    except ValueError as err:
        raise vol.Invalid(f"{value!r} is not MM/DD/YYYY,HH:MM:SS") from err
    return value.strip()


def _count_or_list(item: vol.Schema) -> Callable[[Any], int | list[Any]]:
    items = vol.Schema([item])

    def validate(value: Any) -> int | list[Any]:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise vol.Invalid("a count cannot be negative")
            return value
        if isinstance(value, list):
            result: list[Any] = items(value)
            return result
        raise vol.Invalid("expected a count or a list")

    return validate


def _named[E: StrEnum](
    names: Mapping[E, str], aliases: Mapping[str, E] | None = None
) -> Callable[[Any], E]:
    """Accept an enumeration by the format's name for it, its value, or an alias (any case, `_` or space)."""
    known: dict[str, E] = {}
    for member, name in names.items():
        known[name] = member
        known[member.value.lower()] = member
    known.update(aliases or {})
    choices = ", ".join(names.values())

    def validate(value: Any) -> E:
        if isinstance(value, str):
            key = value.strip().lower().replace(" ", "_").replace("-", "_")
            if key in known:
                return known[key]
        raise vol.Invalid(f"{value!r} is not one of: {choices}")

    return validate


_keypad_type = _named(KEYPAD_TYPE_NAMES)
_sensor_type = _named(SENSOR_TYPE_NAMES)
_programming_model = _named(
    PROGRAMMING_NAMES,
    {
        "scene": ProgrammingModel.SINGLE_ACTION,
        "shade": ProgrammingModel.OPEN_STOP_CLOSE_STOP,
    },
)
_event_type = _named(EVENT_TYPE_NAMES, {"fixed": TimeclockEventType.FIXED_TIME})
_shade_type = _named(SHADE_TYPE_NAMES, {"tilt": ControlType.SHADE_WITH_TILT})


def _dimmable_load_type(value: Any) -> LoadType:
    load_type = _load_type(value)
    if load_type not in DIMMABLE_LOAD_TYPES:
        allowed = ", ".join(sorted(item.value for item in DIMMABLE_LOAD_TYPES))
        raise vol.Invalid(
            f"an {DIMMING_MODULE_MODEL} dims {allowed} loads, not {load_type.value}"
        )
    return load_type


def _engraving(value: Any) -> str:
    # LP36: an engraving may be empty and may hold line breaks.
    if not isinstance(value, str):
        raise vol.Invalid("expected a string")
    text = value.strip()
    if len(text) > MAX_NAME_LENGTH:
        raise vol.Invalid(f"at most {MAX_NAME_LENGTH} characters")
    if _CONTROL_RE.search(text.replace("\n", "")):
        raise vol.Invalid("must not contain control characters but line breaks")
    return text


_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _time_of_day(value: Any) -> tuple[int, int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        raise vol.Invalid("a time is a string HH:MM or HH:MM:SS (quote it in YAML)")
    match = _TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise vol.Invalid(f"{value!r} is not a time HH:MM or HH:MM:SS")
    hour, minute, second = (int(part or 0) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise vol.Invalid(f"{value!r} is not a time of day")
    return hour, minute, second


_DAY_SETS: Final = {
    "every_day": frozenset(range(7)),
    "daily": frozenset(range(7)),
    "all": frozenset(range(7)),
    "weekdays": frozenset(range(1, 6)),
    "weekends": frozenset({0, 6}),
}


def _day(value: Any) -> int:
    if isinstance(value, str):
        key = value.strip().lower()
        for index, name in enumerate(DAY_NAMES):
            if key in (name, name[:3]):
                return index
    raise vol.Invalid(f"{value!r} is not a day of the week")


def _days(value: Any) -> tuple[bool, bool, bool, bool, bool, bool, bool]:
    """Sunday..Saturday from a list of day names, or `every_day`, `weekdays`, `weekends`."""
    if isinstance(value, str) and value.strip().lower().replace(" ", "_") in _DAY_SETS:
        chosen = _DAY_SETS[value.strip().lower().replace(" ", "_")]
    elif isinstance(value, list):
        chosen = frozenset(_day(item) for item in value)
        if len(chosen) != len(value):
            raise vol.Invalid("a day is named twice")
    else:
        raise vol.Invalid("expected a list of days, or every_day, weekdays or weekends")
    if not chosen:
        raise vol.Invalid("an event runs on at least one day")
    sunday, monday, tuesday, wednesday, thursday, friday, saturday = (
        index in chosen for index in range(7)
    )
    return sunday, monday, tuesday, wednesday, thursday, friday, saturday


_INTEGRATION_ID = vol.All(_int, vol.Range(min=1, msg="integration ids are positive"))
_POSITIVE_LENGTH = vol.All(_number, vol.Range(min=0, msg="a length cannot be negative"))

_ZONE_SCHEMA = vol.Schema(
    {
        vol.Optional("number"): vol.All(_int, vol.Range(min=1, max=ZONES_PER_MODULE)),
        vol.Optional("name"): _text,
        vol.Optional("load_type"): _load_type,
        vol.Optional("amps"): vol.All(
            _number, vol.Range(min=0, msg="a load cannot be negative")
        ),
        vol.Optional("watts"): vol.All(
            _number, vol.Range(min=0, msg="a load cannot be negative")
        ),
        vol.Optional("override"): _override_level,
        vol.Optional("integration_id"): _INTEGRATION_ID,
    }
)


def _zone_entry(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": _text(value)}
    result: dict[str, Any] = _ZONE_SCHEMA(value)
    return result


_CCO_SCHEMA = vol.Schema(
    {
        vol.Optional("name"): _text,
        vol.Optional("type"): _cco_type,
        vol.Optional("pulse_seconds"): vol.All(
            _number,
            vol.Range(min=MIN_PULSE_SECONDS, max=MAX_PULSE_SECONDS, msg=PULSE_RANGE),
        ),
        vol.Optional("integration_id"): _INTEGRATION_ID,
    }
)

_LINK_NUMBER = vol.All(_int, vol.Range(min=1, msg="link numbers start at 1"))
_ADDRESS = vol.All(
    _int,
    vol.Range(
        min=MIN_ADDRESS,
        max=MAX_ADDRESS,
        msg=f"addresses are {MIN_ADDRESS}..{MAX_ADDRESS}",
    ),
)
_LEVEL = vol.All(
    _number,
    vol.Range(
        min=MIN_LEVEL, max=MAX_LEVEL, msg=f"levels are {MIN_LEVEL:g}..{MAX_LEVEL:g}"
    ),
)
# A device names its processor (P4) by serial or by name; resolved against the project's processors when built.
_PROCESSOR_REF: Final = _text

# Where a device sits and who it is: the keys every device on a link has.
_PLACE: Final[dict[Any, Any]] = {
    vol.Optional("processor"): _PROCESSOR_REF,
    vol.Optional("serial"): _serial,
    vol.Optional("name"): _text,
    vol.Optional("area"): _text,
    vol.Optional("link"): _LINK_NUMBER,
    vol.Optional("address"): _ADDRESS,
    vol.Optional("integration_id"): _INTEGRATION_ID,
}

_TARGET_SCHEMA = vol.Schema(
    {vol.Required("output"): _INTEGRATION_ID, vol.Optional("level"): _LEVEL}
)


def _target(value: Any) -> dict[str, Any]:
    # A plain integration id is that output at full level.
    if isinstance(value, int) and not isinstance(value, bool):
        return {"output": _INTEGRATION_ID(value)}
    result: dict[str, Any] = _TARGET_SCHEMA(value)
    return result


_TARGETS = vol.Schema([_target])

_PROGRAMMING_SCHEMA = vol.Schema(
    {vol.Required("model"): _programming_model, vol.Optional("targets"): _TARGETS}
)

_BUTTON_SCHEMA = vol.Schema(
    {
        vol.Optional("number"): vol.All(
            _int,
            vol.Range(
                min=1,
                max=MAX_BUTTON_NUMBER,
                msg=f"buttons are at positions 1..{MAX_BUTTON_NUMBER}",
            ),
        ),
        vol.Optional("name"): _text,
        vol.Optional("engraving"): _engraving,
        vol.Optional("integration_id"): _INTEGRATION_ID,
        vol.Optional("led"): vol.Boolean(),
        vol.Optional("led_integration_id"): _INTEGRATION_ID,
        vol.Optional("programming"): vol.Any(None, _PROGRAMMING_SCHEMA),
    }
)


def _button_entry(value: Any) -> dict[str, Any]:
    # A plain string is a button's engraving.
    if isinstance(value, str):
        return {"engraving": _engraving(value)}
    result: dict[str, Any] = _BUTTON_SCHEMA(value)
    return result


_DIMMED_ZONE_SCHEMA = vol.Schema(
    {
        vol.Optional("number"): vol.All(_int, vol.Range(min=1, max=ZONES_PER_MODULE)),
        vol.Optional("name"): _text,
        vol.Optional("load_type"): _dimmable_load_type,
        vol.Optional("amps"): vol.All(
            _number, vol.Range(min=0, msg="a load cannot be negative")
        ),
        vol.Optional("watts"): vol.All(
            _number, vol.Range(min=0, msg="a load cannot be negative")
        ),
        vol.Optional("integration_id"): _INTEGRATION_ID,
    }
)


def _dimmed_zone_entry(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": _text(value)}
    result: dict[str, Any] = _DIMMED_ZONE_SCHEMA(value)
    return result


_SHADE_ZONE_SCHEMA = vol.Schema(
    {vol.Optional("name"): _text, vol.Optional("integration_id"): _INTEGRATION_ID}
)


def _shade_zone_entry(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": _text(value)}
    result: dict[str, Any] = _SHADE_ZONE_SCHEMA(value)
    return result


DIMMING_MODULE_SCHEMA = vol.Schema(
    {
        **_PLACE,
        vol.Optional("model"): _text,
        vol.Optional("zones"): vol.All(
            [_dimmed_zone_entry],
            vol.Length(
                max=ZONES_PER_MODULE,
                msg=f"a dimming module has {ZONES_PER_MODULE} zones",
            ),
        ),
    }
)

SHADE_SCHEMA = vol.Schema(
    {
        **_PLACE,
        vol.Optional("type"): _shade_type,
        vol.Optional("model"): _text,
        vol.Optional("zone"): _shade_zone_entry,
    }
)

KEYPAD_SCHEMA = vol.Schema(
    {
        **_PLACE,
        vol.Optional("type"): _keypad_type,
        vol.Optional("model"): _text,
        vol.Optional("buttons"): vol.All(
            [_button_entry],
            vol.Length(
                max=MAX_BUTTON_NUMBER,
                msg=f"a keypad has at most {MAX_BUTTON_NUMBER} buttons",
            ),
        ),
    }
)

OCCUPANCY_SENSOR_SCHEMA = vol.Schema(
    {
        **{key: value for key, value in _PLACE.items() if key != "area"},
        vol.Required("area"): _text,
        vol.Optional("type"): _sensor_type,
        vol.Optional("model"): _text,
    }
)

_EVENT_SCHEMA = vol.Schema(
    {
        vol.Optional("number"): vol.All(
            _int, vol.Range(min=1, msg="event numbers start at 1")
        ),
        vol.Optional("name"): _text,
        vol.Optional("integration_id"): _INTEGRATION_ID,
        vol.Optional("type"): _event_type,
        vol.Optional("time"): _time_of_day,
        vol.Optional("offset_minutes"): vol.All(
            _int,
            vol.Range(
                min=-MAX_OFFSET_MINUTES,
                max=MAX_OFFSET_MINUTES,
                msg=f"an offset is -{MAX_OFFSET_MINUTES}..{MAX_OFFSET_MINUTES} minutes",
            ),
        ),
        vol.Optional("days"): _days,
        vol.Optional("targets"): _TARGETS,
    }
)

TIMECLOCK_SCHEMA = vol.Schema(
    {
        vol.Optional("processor"): _PROCESSOR_REF,
        vol.Optional("name"): _text,
        vol.Optional("integration_id"): _INTEGRATION_ID,
        vol.Optional("events"): [_EVENT_SCHEMA],
    }
)

MODULE_SCHEMA = vol.Schema(
    {
        vol.Optional("processor"): _PROCESSOR_REF,
        vol.Optional("serial"): _serial,
        vol.Optional("name"): _text,
        vol.Optional("area"): _text,
        vol.Optional("link"): vol.All(
            _int, vol.Range(min=1, msg="link numbers start at 1")
        ),
        vol.Optional("address"): vol.All(
            _int,
            vol.Range(
                min=MIN_ADDRESS,
                max=MAX_ADDRESS,
                msg=f"addresses are {MIN_ADDRESS}..{MAX_ADDRESS}",
            ),
        ),
        vol.Optional("integration_id"): _INTEGRATION_ID,
        vol.Optional("zones"): vol.All(
            [_zone_entry],
            vol.Length(
                max=ZONES_PER_MODULE, msg=f"a module has {ZONES_PER_MODULE} zones (M1)"
            ),
        ),
        vol.Optional("cco"): _CCO_SCHEMA,
        vol.Optional("cci_group"): vol.Any(None, _text),
        vol.Optional("feed"): vol.Any(None, _text),
    }
)

_LINK_SCHEMA = vol.Schema(
    {
        vol.Optional("number"): vol.All(
            _int, vol.Range(min=1, msg="link numbers start at 1")
        ),
        vol.Optional("type"): _link_type,
        vol.Optional("length_m"): _POSITIVE_LENGTH,
        vol.Optional("length_ft"): _POSITIVE_LENGTH,
        vol.Optional("modules"): _count_or_list(MODULE_SCHEMA),
    }
)

_PROCESSOR_KEYS: Final[dict[Any, Any]] = {
    vol.Optional("serial"): _serial,
    vol.Optional("model"): _processor_model,
    vol.Optional("name"): _text,
    vol.Optional("firmware"): _text,
    vol.Optional("integration_id"): _INTEGRATION_ID,
}
_PROCESSOR_SCHEMA = vol.Schema(_PROCESSOR_KEYS)
# One processor of a project (P4): the keys of `processor:` and its own links.
_PROJECT_PROCESSOR_SCHEMA = vol.Schema(
    {**_PROCESSOR_KEYS, vol.Optional("links"): _count_or_list(_LINK_SCHEMA)}
)

SYSTEM_SCHEMA = vol.Schema(
    {
        vol.Optional("name"): _text,
        vol.Optional("guid"): _text,
        vol.Optional("database_date"): _database_date,
        vol.Optional("processor"): _PROCESSOR_SCHEMA,
        vol.Optional("processors"): vol.All(
            [_PROJECT_PROCESSOR_SCHEMA],
            vol.Length(min=1, msg="a project has at least one processor"),
        ),
        vol.Optional("links"): _count_or_list(_LINK_SCHEMA),
        vol.Optional("modules"): _count_or_list(MODULE_SCHEMA),
        vol.Optional("dimming_modules"): [DIMMING_MODULE_SCHEMA],
        vol.Optional("shades"): [SHADE_SCHEMA],
        vol.Optional("keypads"): [KEYPAD_SCHEMA],
        vol.Optional("occupancy_sensors"): [OCCUPANCY_SENSOR_SCHEMA],
        vol.Optional("timeclocks"): [TIMECLOCK_SCHEMA],
    }
)


def _format_path(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def schema_error(err: vol.Invalid, prefix: str = "") -> DescriptionError:
    """Return the first error of a schema as a `DescriptionError` naming its path (under `prefix`)."""
    first = err.errors[0] if isinstance(err, vol.MultipleInvalid) else err
    path = _format_path(first.path)
    if prefix:
        path = f"{prefix}{'' if not path or path.startswith('[') else '.'}{path}"
    return DescriptionError(path, first.error_message or str(first))
