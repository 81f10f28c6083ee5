"""One emulated switching module: its state, the rules that derive what it reports, and the events of a change.

Every change of a module follows one shape: take a `Snapshot`, change the conditions or the levels, `derive` what
the module reports (M6, M9–M11, M13, C8), then publish the `changes` between the two snapshots in a fixed order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from ..clock import TimerHandle
from ..const import ZONES_PER_MODULE, LedState, OperatingMode, OverrideLevel
from ..events import Event, EventKind
from ..model import DeviceDescription, DeviceState


class Snapshot(NamedTuple):
    """What a module reports at one moment; two snapshots differ exactly where events are due."""

    powered: bool
    link_up: bool
    bypass: bool
    program_mode: bool
    temperature_c: float | None
    cci_open: bool
    override_active: bool
    zones_on: tuple[bool, ...]  # as reported
    relay_operations: tuple[int | None, ...]
    cco_closed: bool
    zone_leds: tuple[LedState, ...]
    prog_led: LedState
    mode: OperatingMode


# Conditions published as one event each, in this order, before zones, CCO, LEDs and mode.
_CONDITION_EVENTS: Final = (
    ("powered", EventKind.POWER),
    ("link_up", EventKind.LINK),
    ("bypass", EventKind.BYPASS),
    ("program_mode", EventKind.PROGRAM),
    ("temperature_c", EventKind.TEMPERATURE),
    ("cci_open", EventKind.CCI),
    ("override_active", EventKind.OVERRIDE),
)


@dataclass(slots=True)
class ModuleRecord:
    """One emulated module: its description, its public state and what it keeps inside."""

    description: DeviceDescription
    state: DeviceState = field(default_factory=DeviceState)
    levels: list[bool] = field(
        default_factory=lambda: [False] * ZONES_PER_MODULE
    )  # power failure memory
    saved_levels: list[bool] | None = None  # levels just before override began (C5)
    pulse: TimerHandle | None = None  # CCO pulse in progress
    # Its own QS link condition; `state.link_up` also needs its processor on the network (LP53).
    own_link_up: bool = True

    def snapshot(self) -> Snapshot:
        """Return what the module reports now."""
        st = self.state
        return Snapshot(
            powered=st.powered,
            link_up=st.link_up,
            bypass=st.bypass,
            program_mode=st.program_mode,
            temperature_c=st.temperature_c,
            cci_open=st.cci_open,
            override_active=st.override_active,
            zones_on=tuple(zone.on for zone in st.zones),
            relay_operations=tuple(zone.relay_operations for zone in st.zones),
            cco_closed=st.cco_closed,
            zone_leds=tuple(st.zone_leds),
            prog_led=st.prog_led,
            mode=st.mode,
        )

    def switch(self, index: int, on: bool) -> None:
        """Move a zone relay (M5 counts every move)."""
        if self.levels[index] == on:
            return
        self.levels[index] = on
        zone = self.state.zones[index]
        zone.relay_operations = (zone.relay_operations or 0) + 1

    def derive(self) -> None:
        """Recompute what is reported from the module's conditions and levels (M6, M9–M11, M13, C8)."""
        st = self.state
        for zone, level in zip(st.zones, self.levels, strict=True):
            zone.on = st.powered and (st.bypass or level)
        if not st.powered:
            st.zone_leds[:] = [LedState.OFF] * ZONES_PER_MODULE
            st.prog_led = LedState.OFF
            return
        if st.link_up:
            st.zone_leds[:] = [
                LedState.ON if zone.on else LedState.OFF for zone in st.zones
            ]
        else:
            st.zone_leds[:] = [LedState.FLASH] * ZONES_PER_MODULE  # scrolling (M10)
        if st.cci_open or st.override_active:
            st.prog_led = LedState.RAPID_FLASH
        elif st.program_mode:
            st.prog_led = LedState.FLASH
        else:
            st.prog_led = LedState.ON

    def evaluate_cci(self) -> None:
        """Enter or leave manual override to match the CCI (C2, C5); a module without power does nothing."""
        st = self.state
        if not st.powered:
            return
        if st.cci_open and not st.override_active:
            st.override_active = True
            self.saved_levels = list(self.levels)
            for index, zone in enumerate(self.description.zones):
                if zone.override_level is OverrideLevel.ON:
                    self.switch(index, True)
                elif zone.override_level is OverrideLevel.OFF:
                    self.switch(index, False)
        elif not st.cci_open and st.override_active:
            st.override_active = False
            saved = self.saved_levels if self.saved_levels is not None else self.levels
            self.saved_levels = None
            for index, level in enumerate(list(saved)):
                self.switch(index, level)

    def cancel_pulse(self) -> None:
        """Stop the CCO pulse timer, if one runs (the contact stays as it is)."""
        if self.pulse is not None:
            self.pulse.cancel()
            self.pulse = None


def changes(serial: str, before: Snapshot, after: Snapshot) -> Iterator[Event]:
    """Yield the events of every difference between two snapshots of one module, in a fixed order."""
    for name, kind in _CONDITION_EVENTS:
        value = getattr(after, name)
        if value != getattr(before, name):
            yield Event(kind, serial, None, value)
    for index in range(ZONES_PER_MODULE):
        if after.zones_on[index] != before.zones_on[index]:
            yield Event(EventKind.ZONE, serial, index + 1, after.zones_on[index])
        if after.relay_operations[index] != before.relay_operations[index]:
            yield Event(
                EventKind.RELAY_COUNT, serial, index + 1, after.relay_operations[index]
            )
    if after.cco_closed != before.cco_closed:
        yield Event(EventKind.CCO, serial, None, after.cco_closed)
    for index in range(ZONES_PER_MODULE):
        if after.zone_leds[index] != before.zone_leds[index]:
            yield Event(EventKind.LED, serial, index + 1, after.zone_leds[index])
    if after.prog_led != before.prog_led:
        yield Event(EventKind.LED, serial, None, after.prog_led)
    if after.mode != before.mode:
        yield Event(EventKind.MODE, serial, None, after.mode)


def require_bool(value: object, what: str) -> bool:
    """Return `value` if it is a bool; `TypeError` naming `what` otherwise."""
    if not isinstance(value, bool):
        raise TypeError(f"{what} takes True or False, not {value!r}")
    return value
