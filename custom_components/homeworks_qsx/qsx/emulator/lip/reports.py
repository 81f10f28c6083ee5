"""The LIP reports an emulator change causes: `~OUTPUT`, `~DEVICE` and `~GROUP` lines for monitoring sessions.

`event_reports` turns one emulator `Event` (whatever caused it: a command, a button, an override, a timer, a person)
into the lines each kind of monitoring receives; `LipServer` (`server.py`) sends them to the sessions that monitor
that kind (lip.md, docs/lip.md H rules).
"""

from __future__ import annotations

from typing import Final

from ...const import ButtonAction
from ...errors import UnknownObjectError
from ...events import Event, EventKind
from ...lip.protocol import (
    ACTION_HOLD,
    ACTION_LED_STATE,
    ACTION_MULTI_TAP,
    ACTION_PRESS,
    ACTION_RELEASE,
    CCI_CLOSED,
    CCI_COMPONENT,
    CCI_OPEN,
    LED_COMPONENT_BASE,
    MAX_BUTTON_COMPONENT,
    PROG_LED,
    Monitoring,
    device_report,
    group_report,
    output_report,
)
from ...model import DeviceDescription, DeviceKind
from .. import Emulator
from .commands import CommandProcessor
from .dbxml_build import area_index, room_of

# What the sender of a command is answered with when the command changed it (see `LipServer`): an OUTPUT id, or
# a keypad LED as (keypad id, component); None for reports that answer nothing.
type ReportKey = int | tuple[int, int] | None
type Report = tuple[Monitoring, str, ReportKey]

# H3: a keypad button's events as `~DEVICE` actions (guide: 3 press, 4 release, 5 hold, 6 multi-tap).
BUTTON_ACTIONS: Final = {
    ButtonAction.PRESS: ACTION_PRESS,
    ButtonAction.RELEASE: ACTION_RELEASE,
    ButtonAction.LONG_PRESS: ACTION_HOLD,
    ButtonAction.MULTI_TAP: ACTION_MULTI_TAP,
}


def event_reports(
    emulator: Emulator, event: Event, processor: CommandProcessor | None = None
) -> list[Report]:
    """Return the LIP lines an emulator event causes: (monitoring type, line, what it answers)."""
    if event.serial is None:
        return []
    try:
        device = emulator.description.device(event.serial)
    except UnknownObjectError:  # a device removed since
        return []
    if device.kind is DeviceKind.SWITCHING_MODULE:
        return _module_reports(device, event)
    match event.kind:
        case EventKind.LEVEL if event.zone is not None:
            output = device.output(event.zone).integration_id
            return [
                (Monitoring.ZONE, output_report(output, float(event.value)), output)
            ]
        case EventKind.BUTTON if (
            event.zone is not None
            and 1 <= event.zone <= MAX_BUTTON_COMPONENT
            and event.value in BUTTON_ACTIONS
        ):
            line = device_report(
                device.integration_id, event.zone, BUTTON_ACTIONS[event.value]
            )
            return [(Monitoring.BUTTON, line, None)]
        case EventKind.INDICATOR if (
            event.zone is not None and 1 <= event.zone <= MAX_BUTTON_COMPONENT
        ):
            component = LED_COMPONENT_BASE + event.zone
            line = device_report(
                device.integration_id, component, ACTION_LED_STATE, int(event.value)
            )
            return [(Monitoring.LED, line, (device.integration_id, component))]
        case EventKind.OCCUPANCY:
            description = emulator.description
            room = room_of(description, device)
            group = area_index(description).ids[
                room
            ]  # every listed device's room is an area (D1)
            state = (
                processor.occupancy_state(room)
                if processor is not None
                else CommandProcessor.state_of(bool(event.value))
            )
            return [(Monitoring.OCCUPANCY, group_report(group, state), None)]
        case _:
            return []


def _module_reports(module: DeviceDescription, event: Event) -> list[Report]:
    device = module.integration_id
    match event.kind:
        case EventKind.ZONE if event.zone is not None:
            output = module.zone(event.zone).integration_id
        case EventKind.CCO:
            output = module.cco.integration_id
        case EventKind.CCI:
            return [
                (
                    Monitoring.BUTTON,
                    device_report(
                        device, CCI_COMPONENT, CCI_OPEN if event.value else CCI_CLOSED
                    ),
                    None,
                )
            ]
        case EventKind.LED:
            component = (
                PROG_LED if event.zone is None else LED_COMPONENT_BASE + event.zone
            )
            return [
                (
                    Monitoring.LED,
                    device_report(
                        device, component, ACTION_LED_STATE, int(event.value)
                    ),
                    None,
                )
            ]
        case EventKind.BUTTON if event.zone is not None:
            return [
                (
                    Monitoring.BUTTON,
                    device_report(device, event.zone, ACTION_PRESS),
                    None,
                ),
                (
                    Monitoring.BUTTON,
                    device_report(device, event.zone, ACTION_RELEASE),
                    None,
                ),
            ]
        case _:
            return []
    # A zone or the CCO: its OUTPUT level, full on or off (the modules switch, they do not dim).
    return [
        (Monitoring.ZONE, output_report(output, 100.0 if event.value else 0.0), output)
    ]
