"""The schema of a description as written (YAML or JSON): validators, schemas and their errors.

Leaf validators, voluptuous schemas, and the one formatting of a schema error as a `DescriptionError` with the path of the offending value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import datetime as dt
import math
import re
from typing import Any

import voluptuous as vol

from ...const import (
    MAX_ADDRESS,
    MAX_PULSE_SECONDS,
    MIN_ADDRESS,
    MIN_PULSE_SECONDS,
    PULSE_RANGE,
    ZONES_PER_MODULE,
    CcoType,
    LinkType,
    LoadType,
    OverrideLevel,
    ProcessorModel,
)
from ...errors import DescriptionError

DATABASE_DATE_FORMAT = "%m/%d/%Y,%H:%M:%S"
MAX_NAME_LENGTH = 100

LINK_TYPE_NAMES = {
    LinkType.QS: "QS wired",
    LinkType.CLEAR_CONNECT_A: "Clear Connect Type A",
}
SERIAL_RE = re.compile(r"^[0-9A-F]{8}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
AMPS_EPSILON = 1e-9  # watts / 120 is not exact in binary floating point


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

MODULE_SCHEMA = vol.Schema(
    {
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

_PROCESSOR_SCHEMA = vol.Schema(
    {
        vol.Optional("serial"): _serial,
        vol.Optional("model"): _processor_model,
        vol.Optional("name"): _text,
        vol.Optional("firmware"): _text,
        vol.Optional("integration_id"): _INTEGRATION_ID,
    }
)

SYSTEM_SCHEMA = vol.Schema(
    {
        vol.Optional("name"): _text,
        vol.Optional("guid"): _text,
        vol.Optional("database_date"): _database_date,
        vol.Optional("processor"): _PROCESSOR_SCHEMA,
        vol.Optional("links"): _count_or_list(_LINK_SCHEMA),
        vol.Optional("modules"): _count_or_list(MODULE_SCHEMA),
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
