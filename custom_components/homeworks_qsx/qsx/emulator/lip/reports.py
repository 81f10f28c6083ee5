"""The LIP reports an emulator change causes: `~OUTPUT` and `~DEVICE` lines for monitoring sessions (lip.md).

`event_reports` turns one emulator `Event` (whatever caused it: a command, a button, an override, a timer) into the
lines each kind of monitoring receives; `LipServer` (`server.py`) sends them to the sessions that monitor that kind.
"""

from __future__ import annotations

from ...errors import UnknownObjectError
from ...events import Event, EventKind
from ...lip.protocol import (
    ACTION_LED_STATE,
    ACTION_PRESS,
    ACTION_RELEASE,
    CCI_CLOSED,
    CCI_COMPONENT,
    CCI_OPEN,
    LED_COMPONENT_BASE,
    PROG_LED,
    Monitoring,
    device_report,
    output_report,
)
from .. import Emulator


def event_reports(
    emulator: Emulator, event: Event
) -> list[tuple[Monitoring, str, int | None]]:
    """Return the LIP lines an emulator event causes: (monitoring type, line, OUTPUT id or None)."""
    if event.serial is None:
        return []
    try:
        module = emulator.module(event.serial)
    except UnknownObjectError:  # a module removed since
        return []
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
