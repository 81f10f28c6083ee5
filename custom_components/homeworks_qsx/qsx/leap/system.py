"""The system as a QSX processor reports it over LEAP, turned into the library's `SystemDescription` (LP10–LP17).

Pure functions: `build_system` takes the bodies the client read and returns the description (whose output index
says where each zone id points); `zone_level` and `status_zone_id` read a zone status (LP14, LP15), pushed or read. The mapping
(documented in `docs/leap-client.md`):

- the processor (LP11) is the hub: serial (the integer as 8 hexadecimal digits), model, name, firmware, MAC, and
  its links (`/link/<id>`, LinkNumber and LinkType);
- a device that lists `LocalZones` of exactly four switched zones and one CCO (LP16, the emulator's full profile, an
  LQSE-4S8-120-D described in full) becomes a switching module device with those zones and that CCO;
- every other switched or CCO zone (anonymous modules, LP16: a real QSX with firmware 22) becomes an output of the
  area group device of its area, one per area, named after it;
- zones of other control types (dimmed, shades, Ketra…) are outside this integration: skipped, and logged once at
  debug level per zone.

What LEAP does not tell (LP17) keeps the model's defaults and is flagged by the backend's capabilities: module link
and address (0: not reported), load types and loads, override levels, CCO type and pulse time, CCI groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import logging
from typing import Any, Final

from ..const import DEFAULT_CCO_NAME, ZONES_PER_MODULE, LinkType, ProcessorModel
from ..model import (
    AREA_GROUP_CAPABILITIES,
    CcoDescription,
    DeviceDescription,
    DeviceKind,
    LinkDescription,
    OutputDescription,
    ProcessorDescription,
    SystemDescription,
    ZoneDescription,
    default_guid,
    switching_module,
)
from .protocol import BodyType, id_from_href

_LOGGER = logging.getLogger(__name__)

SWITCHED: Final = "Switched"  # LP14
CCO: Final = "CCO"  # LP15
NOT_REPORTED: Final = 0  # link and address of a module: LEAP does not report them
UNKNOWN_DATE: Final = "unknown"
ZONE_PREFIX: Final = "/zone/"
LINK_TYPES: Final = {"QS": LinkType.QS, "ClearConnectTypeA": LinkType.CLEAR_CONNECT_A}


@dataclass(slots=True)
class Snapshot:
    """The bodies read at start-up (LP10–LP13), as lists of objects."""

    project: Mapping[str, Any]
    processor: Mapping[str, Any]
    links: Sequence[
        Mapping[str, Any]
    ]  # `/link/<id>` of each of the processor's links, in its order
    areas: Sequence[Mapping[str, Any]]
    devices: Sequence[Mapping[str, Any]]
    area_zones: Mapping[int, Sequence[Mapping[str, Any]]]  # area id → its zones
    skipped: set[int] = field(default_factory=set)  # zone ids already logged as skipped


def serial_text(value: Any) -> str | None:
    """LP11: an integer serial as 8 (or more) upper-case hexadecimal digits; None when it is not an integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return f"{value:08X}"


def database_date(timestamp: Any) -> str:
    """`ProjectModifiedTimestamp` (LP10) as `MM/DD/YYYY,HH:MM:SS`, the form LIP's database date takes."""
    if not isinstance(timestamp, Mapping):
        return UNKNOWN_DATE
    try:
        year, month, day, hour, minute, second = (
            int(timestamp[key])
            for key in ("Year", "Month", "Day", "Hour", "Minute", "Second")
        )
    except KeyError, TypeError, ValueError:
        return UNKNOWN_DATE
    return f"{month:02d}/{day:02d}/{year:04d},{hour:02d}:{minute:02d}:{second:02d}"


def _text(value: Any, default: str) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else default


def _object_id(item: Mapping[str, Any]) -> int | None:
    link = item.get("href")
    return id_from_href(link) if isinstance(link, str) else None


def _ref_id(item: Mapping[str, Any], key: str) -> int | None:
    ref = item.get(key)
    return _object_id(ref) if isinstance(ref, Mapping) else None


def _processor(
    processor: Mapping[str, Any], links: Sequence[Mapping[str, Any]]
) -> ProcessorDescription:
    serial = serial_text(processor.get("SerialNumber"))
    if serial is None:
        raise ValueError("The processor reports no integer SerialNumber (LP11)")
    model_number = processor.get("ModelNumber")
    try:
        model = ProcessorModel(str(model_number))
    except ValueError:
        model = ProcessorModel.HQP7_2 if len(links) > 1 else ProcessorModel.HQP7_1
        _LOGGER.debug(
            "Processor model %r unknown: shown as %s", model_number, model.value
        )
    firmware = processor.get("FirmwareImage", {})
    display = (
        firmware.get("Firmware", {}).get("DisplayName")
        if isinstance(firmware, Mapping)
        else None
    )
    macs = [
        interface.get("MACAddress")
        for interface in processor.get("NetworkInterfaces") or ()
        if isinstance(interface, Mapping)
    ]
    return ProcessorDescription(
        serial=serial,
        model=model,
        name=_text(processor.get("Name"), "HomeWorks QSX processor"),
        firmware=_text(display, "unknown"),
        integration_id=_object_id(processor) or 0,
        mac=next((mac for mac in macs if isinstance(mac, str)), None),
    )


def _links(links: Sequence[Mapping[str, Any]]) -> tuple[LinkDescription, ...]:
    result: list[LinkDescription] = []
    for index, link in enumerate(links, start=1):
        link_type = LINK_TYPES.get(link.get("LinkType", ""))
        if link_type is None:
            _LOGGER.debug("Link %s of type %r skipped", index, link.get("LinkType"))
            continue
        number = link.get("LinkNumber")
        if isinstance(number, bool) or not isinstance(number, int):
            number = index
        result.append(LinkDescription(number, link_type))
    return tuple(result)


def _module(
    device: Mapping[str, Any],
    zones: Mapping[int, Mapping[str, Any]],
    area_names: Mapping[int, str],
) -> DeviceDescription | None:
    """Return the switching module a device describes with exactly four switched zones and one CCO (LP16), or None."""
    serial = serial_text(device.get("SerialNumber"))
    local = [
        zone_id
        for ref in device.get("LocalZones") or ()
        if isinstance(ref, Mapping) and (zone_id := _object_id(ref)) is not None
    ]
    switched = [z for z in local if zones.get(z, {}).get("ControlType") == SWITCHED]
    ccos = [z for z in local if zones.get(z, {}).get("ControlType") == CCO]
    device_id = _object_id(device)
    if (
        serial is None
        or device_id is None
        or len(switched) != ZONES_PER_MODULE
        or len(ccos) != 1
        or len(local) != ZONES_PER_MODULE + 1
    ):
        return None
    area_id = _ref_id(device, "AssociatedArea")
    name = _text(device.get("Name"), f"Module {serial}")
    return switching_module(
        serial,
        device_id,
        name,
        area_names.get(area_id, name) if area_id is not None else name,
        link=NOT_REPORTED,
        address=NOT_REPORTED,
        zones=tuple(
            ZoneDescription(
                number,
                zone_id,
                _text(zones[zone_id].get("Name"), f"Zone {number}"),
            )
            for number, zone_id in enumerate(switched, start=1)
        ),
        cco=CcoDescription(
            ccos[0], _text(zones[ccos[0]].get("Name"), DEFAULT_CCO_NAME)
        ),
    )


def _area_output(
    zone: Mapping[str, Any], zone_id: int, number: int
) -> OutputDescription:
    """Return an output of an area group: a switched zone (LP14) or a CCO zone (LP15), as the processor names it."""
    name = _text(zone.get("Name"), f"Zone {number}")
    if zone.get("ControlType") == CCO:
        return CcoDescription(zone_id, name, number=number)
    category = zone.get("Category")
    return ZoneDescription(
        number,
        zone_id,
        name,
        is_light=bool(category.get("IsLight", True))
        if isinstance(category, Mapping)
        else True,
    )


def build_system(snapshot: Snapshot) -> SystemDescription:
    """Return the description of what the processor reported; its output index says where each zone id points.

    `ValueError` when the processor's own identity is missing (without a serial there is nothing to key on).
    """
    processor = _processor(snapshot.processor, snapshot.links)
    area_names = {
        area_id: _text(area.get("Name"), f"Area {area_id}")
        for area in snapshot.areas
        if (area_id := _object_id(area)) is not None
    }
    zones: dict[int, Mapping[str, Any]] = {}
    zone_area: dict[int, int] = {}
    for area_id, area_zones in snapshot.area_zones.items():
        for zone in area_zones:
            zone_id = _object_id(zone)
            if zone_id is not None and zone_id not in zones:
                zones[zone_id] = zone
                zone_area[zone_id] = area_id
    devices: list[DeviceDescription] = []
    placed: set[int] = set()  # zone ids that are outputs of a device already
    for device in snapshot.devices:
        module = _module(device, zones, area_names)
        if module is None:
            continue
        devices.append(module)
        placed.update(output.integration_id for output in module.outputs)
    for area_id, area_zones in snapshot.area_zones.items():
        outputs: list[OutputDescription] = []
        for zone in area_zones:
            zone_id = _object_id(zone)
            if (
                zone_id is None
                or zone_id in placed
                or zone_area.get(zone_id) != area_id
            ):
                continue
            control = zone.get("ControlType")
            if control not in {SWITCHED, CCO}:
                if zone_id not in snapshot.skipped:
                    snapshot.skipped.add(zone_id)
                    _LOGGER.debug(
                        "Zone %s (%r) is %r, not switched or CCO: skipped",
                        zone_id,
                        zone.get("Name"),
                        control,
                    )
                continue
            outputs.append(_area_output(zone, zone_id, len(outputs) + 1))
            placed.add(zone_id)
        if outputs:
            name = area_names.get(area_id, f"Area {area_id}")
            devices.append(
                DeviceDescription(
                    serial=f"{processor.serial}-area-{area_id}",
                    integration_id=area_id,
                    name=name,
                    area=name,
                    outputs=tuple(outputs),
                    kind=DeviceKind.AREA_GROUP,
                    capabilities=AREA_GROUP_CAPABILITIES,
                )
            )
    return SystemDescription(
        name=_text(snapshot.project.get("Name"), processor.name),
        guid=default_guid(processor.serial),
        processor=processor,
        links=_links(snapshot.links),
        devices=tuple(devices),
        database_date=database_date(snapshot.project.get("ProjectModifiedTimestamp")),
    )


def zone_level(status: Mapping[str, Any]) -> bool | None:
    """LP14, LP15: whether a zone status says on (closed, for a CCO); None when it says neither."""
    cco = status.get("CCOLevel")
    if isinstance(cco, str):
        return cco == "Closed"
    switched = status.get("SwitchedLevel")
    if isinstance(switched, str):
        return switched == "On"
    level = status.get("Level")
    if isinstance(level, int | float) and not isinstance(level, bool):
        return level > 0
    return None


def _zone_href_id(href: Any) -> int | None:
    """Return the id in `/zone/<id>` or `/zone/<id>/status`; None for any other href (an area's, a button's)."""
    if not isinstance(href, str) or not href.startswith(ZONE_PREFIX):
        return None
    return id_from_href(href)


def status_zone_id(status: Mapping[str, Any]) -> int | None:
    """Return the id of the zone a zone status is about (its `Zone` link, else its own `href`)."""
    zone = status.get("Zone")
    if isinstance(zone, Mapping) and "href" in zone:
        return _zone_href_id(zone["href"])
    return _zone_href_id(status.get("href"))


def zone_statuses(message: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """LP57: the zone statuses a message carries, one (`ZoneStatus`) or many (`ZoneStatuses`); None if none.

    Whatever the message's tag, URL or type (a push, a subscription's or a command's reply, tagged or not).
    """
    body = message.get("Body")
    if not isinstance(body, Mapping):
        return None
    many = body.get(BodyType.MULTIPLE_ZONE_STATUSES.body_key)
    if isinstance(many, list):
        return [status for status in many if isinstance(status, Mapping)]
    one = body.get(BodyType.ONE_ZONE_STATUS.body_key)
    if isinstance(one, Mapping):
        return [one]
    return None
