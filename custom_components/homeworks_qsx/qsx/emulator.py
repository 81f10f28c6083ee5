"""An emulated HomeWorks QSX processor with LQSE-4S8-120-D switching power modules on its QS links.

The emulator holds one `SystemDescription` (one processor: P4 says a project may have several processors; each
gets its own description, emulator and config entry) and one `ModuleState` per module. Commands from the
processor or an integration (`set_zone`, `set_cco`, `pulse_cco`) and local button presses (`press_button`) either
change the module or are ignored with an `IgnoredReason`; physical conditions (`set_cci`, `set_power`, `set_link`,
`set_bypass`, `set_temperature`, `set_program_mode`) always apply. Every real change is published, in order, as
`Event`s on `events`.

Behaviour where the documents leave a choice (see ``docs/system-description.md`` for the full list):

- A module remembers the level of each zone (power failure memory, M7); it drives its relays from that memory
  while it has power and no bypass jumper. The relay counter (M5) counts each change of a relay's position; an
  outage or the bypass jumper do not move the relays, so they do not count.
- Without power, zones are reported off and draw nothing, LEDs are off, the CCO opens and a pending pulse is
  cancelled (O3). When power returns the zones go back to their remembered levels and the CCO stays open.
- The module evaluates its CCI only while powered: a CCI opened during an outage puts the module in override when
  power returns; an override in progress at an outage continues after it (with its override levels), and ends at
  power-up if the CCI was closed meanwhile (C2, C5).
- Manual override (C2, C3): zones go to their override levels (on, off, or unchanged); the module ignores its
  buttons and every command (`IgnoredReason.MANUAL_OVERRIDE`); when the CCI closes, each zone returns to the
  level it had just before override began (C5). A CCI group (C7) opens and closes together.
- No QS link (L2, M10): zones keep their levels, zone LEDs scroll (reported `LedState.FLASH`), commands from the
  processor are ignored (`NO_LINK`); local buttons and the CCI still work.
- Bypass jumper (M13): zones are reported on and the loads draw their full current from mains; commands and
  buttons are ignored (`BYPASS`); removing the jumper shows the levels the module holds again.
- Program mode (M11): the Prog LED flashes; the module still obeys commands.
- Commands are ignored for the first reason that applies, in the order no power, bypass, manual override, no
  link (`ModuleState.ignored_reason`); buttons are ignored for the same reasons except no link.

P7 (authenticated access, loopback by default) is implemented by the network server in ``qsx/lip``; the emulator
itself holds no credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
import datetime as dt
import math
from typing import Any, Final, Self

import voluptuous as vol

from .clock import AsyncioScheduler, Scheduler, TimerHandle
from .const import (
    MAX_PULSE_SECONDS,
    MIN_PULSE_SECONDS,
    ZONES_PER_MODULE,
    Button,
    CcoType,
    Fault,
    IgnoredReason,
    IntegrationIdKind,
    LedState,
    OperatingMode,
    OverrideLevel,
    module_facts,
    processor_facts,
)
from .description import description_to_dict, parse_description, validate_description
from .errors import DescriptionError, UnknownObjectError
from .events import Event, EventBus, EventKind
from .model import ModuleDescription, ModuleState, SystemDescription, ZoneState

EXPORT_FORMAT: Final = 1

type _Snapshot = tuple[
    bool,  # powered
    bool,  # link_up
    bool,  # bypass
    bool,  # program_mode
    float | None,  # temperature_c
    bool,  # cci_open
    bool,  # override_active
    tuple[bool, ...],  # zones on (reported)
    tuple[int | None, ...],  # relay operations
    bool,  # cco_closed
    tuple[LedState, ...],  # zone LEDs
    LedState,  # Prog LED
    OperatingMode,
]


@dataclass(slots=True)
class _Module:
    """One emulated module: its description, its public state and what it keeps inside."""

    description: ModuleDescription
    state: ModuleState = field(default_factory=ModuleState)
    levels: list[bool] = field(
        default_factory=lambda: [False] * ZONES_PER_MODULE
    )  # power failure memory
    saved_levels: list[bool] | None = None  # levels just before override began (C5)
    pulse: TimerHandle | None = None  # CCO pulse in progress


class _Timer:
    """A timer started through `Emulator.call_later`; `close()` cancels it."""

    __slots__ = ("_callback", "_handle", "_owner")

    def __init__(
        self,
        owner: set[_Timer],
        scheduler: Scheduler,
        delay: float,
        callback: Callable[[], None],
    ) -> None:
        self._owner = owner
        self._callback = callback
        self._handle = scheduler.call_later(delay, self._run)
        owner.add(self)  # only once scheduled: a scheduler without a loop raises first

    def _run(self) -> None:
        self._owner.discard(self)
        self._callback()

    def cancel(self) -> None:
        """Cancel the timer (harmless once it ran)."""
        self._owner.discard(self)
        self._handle.cancel()


def _snapshot(module: _Module) -> _Snapshot:
    st = module.state
    return (
        st.powered,
        st.link_up,
        st.bypass,
        st.program_mode,
        st.temperature_c,
        st.cci_open,
        st.override_active,
        tuple(zone.on for zone in st.zones),
        tuple(zone.relay_operations for zone in st.zones),
        st.cco_closed,
        tuple(st.zone_leds),
        st.prog_led,
        st.mode,
    )


_SIMPLE_KINDS: Final = (
    (0, EventKind.POWER),
    (1, EventKind.LINK),
    (2, EventKind.BYPASS),
    (3, EventKind.PROGRAM),
    (4, EventKind.TEMPERATURE),
    (5, EventKind.CCI),
    (6, EventKind.OVERRIDE),
)


def _require_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} takes True or False, not {value!r}")
    return value


class Emulator:
    """An emulated HomeWorks QSX processor and its switching modules (rules P1–P7, M1–M13, C1–C8, O1–O4, L1–L3).

    Args:
        description: the installation; validated (`DescriptionError` when invalid).
        scheduler: timers and clock; `None` uses an `AsyncioScheduler` (which needs a running event loop only
            when a timer starts, for example a CCO pulse).

    """

    def __init__(
        self, description: SystemDescription, *, scheduler: Scheduler | None = None
    ) -> None:
        """Build the emulated system with every module in its factory state (powered, CCI closed, zones off)."""
        validate_description(description)
        self.events = EventBus()
        self._scheduler: Scheduler = (
            scheduler if scheduler is not None else AsyncioScheduler()
        )
        self._time_offset = dt.timedelta(0)
        self._timers: set[_Timer] = set()
        self._modules: dict[str, _Module] = {}
        self._description = description
        self._devices: dict[int, str] = {}
        self._outputs: dict[int, tuple[str, int | None]] = {}
        self._addresses: dict[tuple[int, int], str] = {}
        self._groups: dict[str, list[str]] = {}
        self._install(description, {})

    # ----------------------------------------------------------------------------------------------------------
    # Structure and look-ups

    def _install(
        self, description: SystemDescription, modules: dict[str, _Module]
    ) -> None:
        """Make `description` current; `modules` holds the records to keep (others start in factory state)."""
        ordered = tuple(
            sorted(
                description.modules, key=lambda module: (module.link, module.address)
            )
        )
        self._description = replace(description, modules=ordered)
        self._modules = {}
        self._devices = {}
        self._outputs = {}
        self._addresses = {}
        self._groups = {}
        for module in ordered:
            record = modules.get(module.serial) or _Module(module)
            record.description = module
            self._modules[module.serial] = record
            self._devices[module.integration_id] = module.serial
            for zone in module.zones:
                self._outputs[zone.integration_id] = (module.serial, zone.number)
            self._outputs[module.cco.integration_id] = (module.serial, None)
            self._addresses[module.link, module.address] = module.serial
            if module.cci_group is not None:
                self._groups.setdefault(module.cci_group, []).append(module.serial)

    @property
    def description(self) -> SystemDescription:
        """The system as it is now (changes with `add_module`, `remove_module`, `update_module`)."""
        return self._description

    @property
    def scheduler(self) -> Scheduler:
        """The scheduler that runs this emulator's timers."""
        return self._scheduler

    def _get(self, serial: str) -> _Module:
        module = self._modules.get(serial) or self._modules.get(serial.upper())
        if module is None:
            raise UnknownObjectError(f"No module has serial {serial}")
        return module

    def state(self, serial: str) -> ModuleState:
        """Return the live state of a module (read it, never change it); `UnknownObjectError` if unknown."""
        return self._get(serial).state

    def module(self, serial: str) -> ModuleDescription:
        """Return the description of a module; `UnknownObjectError` if unknown."""
        return self._get(serial).description

    def module_at(self, link: int, address: int) -> ModuleDescription:
        """Return the module at `address` on `link` (L3); `UnknownObjectError` if there is none."""
        serial = self._addresses.get((link, address))
        if serial is None:
            raise UnknownObjectError(f"No module at address {address} on link {link}")
        return self._modules[serial].description

    def zone_levels(self, serial: str) -> tuple[bool, ...]:
        """Return the levels the module holds for its zones (what it drives when powered and not bypassed)."""
        return tuple(self._get(serial).levels)

    def module_by_integration_id(self, integration_id: int) -> ModuleDescription:
        """Return the module with this DEVICE integration id; `UnknownObjectError` if none."""
        serial = self._devices.get(integration_id)
        if serial is None:
            raise UnknownObjectError(f"No module has integration id {integration_id}")
        return self._modules[serial].description

    def output_by_integration_id(
        self, integration_id: int
    ) -> tuple[ModuleDescription, int | None]:
        """Return (module, zone number 1..4) for a zone, (module, None) for a CCO; `UnknownObjectError` if none."""
        target = self._outputs.get(integration_id)
        if target is None:
            raise UnknownObjectError(f"No output has integration id {integration_id}")
        return self._modules[target[0]].description, target[1]

    def integration_id_info(self, integration_id: int) -> tuple[IntegrationIdKind, str]:
        """Say what an integration id names (L3): (DEVICE or OUTPUT, serial of the device that holds it).

        The processor is a DEVICE with its own serial. `UnknownObjectError` if nothing has this id.
        """
        if integration_id == self._description.processor.integration_id:
            return IntegrationIdKind.DEVICE, self._description.processor.serial
        if (serial := self._devices.get(integration_id)) is not None:
            return IntegrationIdKind.DEVICE, serial
        if (target := self._outputs.get(integration_id)) is not None:
            return IntegrationIdKind.OUTPUT, target[0]
        raise UnknownObjectError(f"Nothing has integration id {integration_id}")

    def device_integration_id(self, serial: str) -> int:
        """Return the integration id of the processor or of a module, by serial; `UnknownObjectError` if none."""
        if serial.upper() == self._description.processor.serial:
            return self._description.processor.integration_id
        return self._get(serial).description.integration_id

    def _zone_index(self, module: _Module, zone: int) -> int:
        if (
            isinstance(zone, bool)
            or not isinstance(zone, int)
            or not 1 <= zone <= ZONES_PER_MODULE
        ):
            raise UnknownObjectError(
                f"Module {module.description.serial} has no zone {zone!r} (zones are 1..4)"
            )
        return zone - 1

    # ----------------------------------------------------------------------------------------------------------
    # State changes and their events

    def _switch(self, module: _Module, index: int, on: bool) -> None:
        """Move a zone relay (M5 counts every move)."""
        if module.levels[index] == on:
            return
        module.levels[index] = on
        zone = module.state.zones[index]
        zone.relay_operations = (zone.relay_operations or 0) + 1

    def _derive(self, module: _Module) -> None:
        """Recompute what is reported from the module's conditions and levels (M6, M9–M11, M13, C8)."""
        st = module.state
        for zone, level in zip(st.zones, module.levels, strict=True):
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

    def _commit(self, module: _Module, before: _Snapshot) -> None:
        """Derive the reported state and publish every difference from `before`, in a fixed order."""
        self._derive(module)
        after = _snapshot(module)
        if after == before:
            return
        serial = module.description.serial
        publish = self.events.publish
        for index, kind in _SIMPLE_KINDS:
            if after[index] != before[index]:
                publish(Event(kind, serial, None, after[index]))
        zones_on, counts = after[7], after[8]
        for index in range(ZONES_PER_MODULE):
            if zones_on[index] != before[7][index]:
                publish(Event(EventKind.ZONE, serial, index + 1, zones_on[index]))
            if counts[index] != before[8][index]:
                publish(Event(EventKind.RELAY_COUNT, serial, index + 1, counts[index]))
        if after[9] != before[9]:
            publish(Event(EventKind.CCO, serial, None, after[9]))
        leds = after[10]
        for index in range(ZONES_PER_MODULE):
            if leds[index] != before[10][index]:
                publish(Event(EventKind.LED, serial, index + 1, leds[index]))
        if after[11] != before[11]:
            publish(Event(EventKind.LED, serial, None, after[11]))
        if after[12] != before[12]:
            publish(Event(EventKind.MODE, serial, None, after[12]))

    def _evaluate_cci(self, module: _Module) -> None:
        """Enter or leave manual override to match the CCI (C2, C5); a module without power does nothing."""
        st = module.state
        if not st.powered:
            return
        if st.cci_open and not st.override_active:
            st.override_active = True
            module.saved_levels = list(module.levels)
            for index, zone in enumerate(module.description.zones):
                if zone.override_level is OverrideLevel.ON:
                    self._switch(module, index, True)
                elif zone.override_level is OverrideLevel.OFF:
                    self._switch(module, index, False)
        elif not st.cci_open and st.override_active:
            st.override_active = False
            saved = (
                module.saved_levels
                if module.saved_levels is not None
                else module.levels
            )
            module.saved_levels = None
            for index, level in enumerate(list(saved)):
                self._switch(module, index, level)

    def _cancel_pulse(self, module: _Module) -> None:
        if module.pulse is not None:
            module.pulse.cancel()
            module.pulse = None

    # ----------------------------------------------------------------------------------------------------------
    # Commands from the processor or the integration

    def set_zone(self, serial: str, zone: int, on: bool) -> IgnoredReason | None:
        """Switch zone `zone` (1..4) on or off (M1); returns why the module ignored it, or None."""
        module = self._get(serial)
        index = self._zone_index(module, zone)
        reason = module.state.ignored_reason
        if reason is not None:
            return reason
        if module.levels[index] != bool(on):
            before = _snapshot(module)
            self._switch(module, index, bool(on))
            self._commit(module, before)
        return None

    def set_cco(self, serial: str, closed: bool) -> IgnoredReason | None:
        """Close (energise) or open the CCO (O1, O2); on a momentary CCO, closing starts a pulse.

        Opening a momentary CCO ends a pulse in progress. Returns why the module ignored it, or None.
        """
        module = self._get(serial)
        reason = module.state.ignored_reason
        if reason is not None:
            return reason
        if closed and module.description.cco.cco_type is CcoType.MOMENTARY:
            self._pulse(module, module.description.cco.pulse_seconds)
            return None
        before = _snapshot(module)
        self._cancel_pulse(module)
        module.state.cco_closed = bool(closed)
        self._commit(module, before)
        return None

    def pulse_cco(
        self, serial: str, seconds: float | None = None
    ) -> IgnoredReason | None:
        """Close the CCO for `seconds` (default: its configured pulse time), then open it (O2).

        A pulse while one is in progress restarts the timer. `ValueError` when `seconds` is outside 0.25–3600 s.
        Returns why the module ignored it, or None.
        """
        module = self._get(serial)
        duration = module.description.cco.pulse_seconds if seconds is None else seconds
        if (
            isinstance(duration, bool)
            or not isinstance(duration, (int, float))
            or not math.isfinite(duration)
            or not MIN_PULSE_SECONDS <= duration <= MAX_PULSE_SECONDS
        ):
            raise ValueError(
                f"A pulse lasts {MIN_PULSE_SECONDS:g} to {MAX_PULSE_SECONDS:g} s, not {seconds!r}"
            )
        reason = module.state.ignored_reason
        if reason is not None:
            return reason
        self._pulse(module, float(duration))
        return None

    def _pulse(self, module: _Module, seconds: float) -> None:
        # Start the timer first: if the scheduler cannot (no event loop), nothing has changed.
        handle = self._scheduler.call_later(seconds, lambda: self._end_pulse(module))
        before = _snapshot(module)
        self._cancel_pulse(module)
        module.pulse = handle
        module.state.cco_closed = True
        self._commit(module, before)

    def _end_pulse(self, module: _Module) -> None:
        module.pulse = None
        before = _snapshot(module)
        module.state.cco_closed = False
        self._commit(module, before)

    def press_button(self, serial: str, button: Button) -> IgnoredReason | None:
        """Press a button on the module itself (M8): a zone button toggles its zone; Prog switches all four.

        Prog: if any zone is on, all go off; otherwise all go on. Ignored without power, with the bypass jumper,
        and in manual override (C3); a lost QS link does not matter (L2). Returns the reason, or None.
        """
        module = self._get(serial)
        pressed = Button(button)
        reason = module.state.ignored_reason
        if reason is not None and reason is not IgnoredReason.NO_LINK:  # L2
            return reason
        self.events.publish(
            Event(EventKind.BUTTON, module.description.serial, int(pressed), None)
        )
        before = _snapshot(module)
        if pressed is Button.PROG:
            target = not any(module.levels)
            for index in range(ZONES_PER_MODULE):
                self._switch(module, index, target)
        else:
            index = int(pressed) - 1
            self._switch(module, index, not module.levels[index])
        self._commit(module, before)
        return None

    # ----------------------------------------------------------------------------------------------------------
    # Physical conditions

    def set_cci(self, serial: str, open_: bool) -> None:
        """Open or close the CCI contact (C1, C2, C5); with a CCI group (C7), every module of the group.

        The modules of a group change one after the other, in link/address order, each publishing its events.
        """
        _require_bool(open_, "set_cci")
        module = self._get(serial)
        group = module.description.cci_group
        serials = (
            self._groups[group] if group is not None else [module.description.serial]
        )
        for member_serial in serials:
            member = self._modules[member_serial]
            if member.state.cci_open == open_:
                continue
            before = _snapshot(member)
            member.state.cci_open = open_
            self._evaluate_cci(member)
            self._commit(member, before)

    def set_power(self, serial: str, powered: bool) -> None:
        """Cut or restore mains power at the module (M7, O3, M11)."""
        _require_bool(powered, "set_power")
        module = self._get(serial)
        st = module.state
        if st.powered == powered:
            return
        before = _snapshot(module)
        st.powered = powered
        if powered:
            self._evaluate_cci(module)
        else:
            self._cancel_pulse(module)
            st.cco_closed = False  # O3: the relay is non-latching
        self._commit(module, before)

    def set_link(self, serial: str, up: bool) -> None:
        """Cut or restore the module's QS link (L2, M10)."""
        _require_bool(up, "set_link")
        module = self._get(serial)
        if module.state.link_up == up:
            return
        before = _snapshot(module)
        module.state.link_up = up
        self._commit(module, before)

    def set_bypass(self, serial: str, installed: bool) -> None:
        """Install or remove the wiring-verification bypass jumper (M13)."""
        _require_bool(installed, "set_bypass")
        module = self._get(serial)
        if module.state.bypass == installed:
            return
        before = _snapshot(module)
        module.state.bypass = installed
        self._commit(module, before)

    def set_temperature(self, serial: str, celsius: float) -> None:
        """Set the module's temperature (M12: `high_temperature` from 65 °C)."""
        if (
            isinstance(celsius, bool)
            or not isinstance(celsius, (int, float))
            or not math.isfinite(celsius)
        ):
            raise ValueError(
                f"A temperature is a finite number of degrees Celsius, not {celsius!r}"
            )
        module = self._get(serial)
        if module.state.temperature_c == celsius:
            return
        before = _snapshot(module)
        module.state.temperature_c = float(celsius)
        self._commit(module, before)

    def set_program_mode(self, serial: str, on: bool) -> None:
        """Enter or leave program mode (M11: the Prog LED blinks once every 3 s)."""
        _require_bool(on, "set_program_mode")
        module = self._get(serial)
        if module.state.program_mode == on:
            return
        before = _snapshot(module)
        module.state.program_mode = on
        self._commit(module, before)

    def simulate(self, serial: str, fault: Fault, value: bool | float) -> None:
        """Apply a physical condition by name (the ``#EMULATOR`` commands); dispatches to the ``set_*`` methods.

        Values: CCI True = open; POWER True = powered; LINK True = up; BYPASS True = installed; PROGRAM True =
        program mode; TEMPERATURE in °C. `TypeError` or `ValueError` for a value of the wrong kind.
        """
        kind = Fault(fault)
        if kind is Fault.TEMPERATURE:
            self.set_temperature(serial, value)
            return
        setter: Callable[[str, bool], None] = {
            Fault.CCI: self.set_cci,
            Fault.POWER: self.set_power,
            Fault.LINK: self.set_link,
            Fault.BYPASS: self.set_bypass,
            Fault.PROGRAM: self.set_program_mode,
        }[kind]
        setter(serial, _require_bool(value, kind.value))

    # ----------------------------------------------------------------------------------------------------------
    # Structure

    def add_module(self, module: ModuleDescription) -> None:
        """Add a module (see `description.new_module`); it starts powered, CCI closed, zones off.

        Raises:
            LimitError: a link's capacity (P3, M2), a CCI group's size (C7) or a load rating (M3, M4).
            DescriptionError: anything else wrong (duplicate serial, address or integration id, missing link,
                Clear Connect Type A link, P1, P2).

        Nothing changes when it raises.

        """
        if module.serial in self._modules:
            raise DescriptionError(
                "module.serial", f"serial {module.serial} is already used"
            )
        description = replace(
            self._description, modules=(*self._description.modules, module)
        )
        validate_description(description)
        self._install(description, self._modules)
        self.events.publish(
            Event(
                EventKind.MODULE_ADDED,
                module.serial,
                None,
                self._modules[module.serial].description,
            )
        )

    def remove_module(self, serial: str) -> None:
        """Remove a module (its pulse, if any, is cancelled); `UnknownObjectError` if unknown."""
        record = self._get(serial)
        self._cancel_pulse(record)
        removed = record.description
        description = replace(
            self._description,
            modules=tuple(
                m for m in self._description.modules if m.serial != removed.serial
            ),
        )
        modules = dict(self._modules)
        del modules[removed.serial]
        self._install(description, modules)
        self.events.publish(
            Event(EventKind.MODULE_REMOVED, removed.serial, None, removed)
        )

    def update_module(self, module: ModuleDescription) -> None:
        """Replace the settings of the module with the same serial (names, loads, CCO type, groups, ids...).

        Its state is kept. Raises like `add_module`; `UnknownObjectError` if no module has this serial.
        """
        record = self._get(module.serial)
        if record.description == module:
            return
        description = replace(
            self._description,
            modules=tuple(
                module if m.serial == module.serial else m
                for m in self._description.modules
            ),
        )
        validate_description(description)
        self._install(description, self._modules)
        self.events.publish(
            Event(EventKind.MODULE_CHANGED, module.serial, None, module)
        )

    # ----------------------------------------------------------------------------------------------------------
    # Time

    def processor_time(self) -> dt.datetime:
        """Return the processor timeclock (P5): the scheduler's time plus the offset from `set_processor_time`."""
        return self._scheduler.now() + self._time_offset

    def set_processor_time(self, when: dt.datetime) -> None:
        """Set the processor timeclock (timezone-aware `when`); the offset survives export and restore."""
        if when.tzinfo is None:
            raise ValueError("The processor time must be timezone-aware")
        self._time_offset = when - self._scheduler.now()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run `callback` after `delay` seconds on this emulator's scheduler (for delayed commands).

        `close()` cancels it if it has not run yet.
        """
        return _Timer(self._timers, self._scheduler, delay, callback)

    def close(self) -> None:
        """Cancel every timer. A CCO pulse cut short opens its contact (and says so); nothing else changes."""
        for timer in list(self._timers):
            timer.cancel()
        for module in self._modules.values():
            if module.pulse is not None:
                self._cancel_pulse(module)
                before = _snapshot(module)
                module.state.cco_closed = False
                self._commit(module, before)

    # ----------------------------------------------------------------------------------------------------------
    # Diagnostics

    def diagnostics(self) -> dict[str, Any]:
        """Return counts and processor facts (P5, P6) for a diagnostics download; no credentials."""
        states = [record.state for record in self._modules.values()]
        processor = self._description.processor
        return {
            "processor": {
                "serial": processor.serial,
                "firmware": processor.firmware,
                **processor_facts(processor.model),
            },
            "module": module_facts(),
            "links": [
                {
                    "number": link.number,
                    "type": link.link_type.value,
                    "cable_length_m": link.cable_length_m,
                }
                for link in self._description.links
            ],
            "modules": len(states),
            "zones_on": sum(zone.on for st in states for zone in st.zones),
            "overrides_active": sum(st.override_active for st in states),
            "modules_without_power": sum(not st.powered for st in states),
            "modules_without_link": sum(not st.link_up for st in states),
            "modules_in_bypass": sum(st.bypass for st in states),
            "modules_high_temperature": sum(bool(st.high_temperature) for st in states),
            "pulses_in_progress": sum(
                record.pulse is not None for record in self._modules.values()
            ),
            "load_current_a": round(
                sum(
                    record.state.load_current(record.description)
                    for record in self._modules.values()
                ),
                3,
            ),
        }

    # ----------------------------------------------------------------------------------------------------------
    # Persistence

    def export_state(self) -> dict[str, Any]:
        """Return the description and the whole state as plain JSON-serialisable data.

        Includes zone levels, relay counters, CCI, override (with the saved levels), CCO (and whether a pulse is
        in progress), power, link, bypass, program mode, temperature and the processor time offset.
        """
        return {
            "format": EXPORT_FORMAT,
            "description": description_to_dict(self._description),
            "processor_time_offset_us": self._time_offset
            // dt.timedelta(microseconds=1),
            "modules": {
                serial: _export_module(record)
                for serial, record in self._modules.items()
            },
        }

    @classmethod
    def from_export(
        cls, data: Mapping[str, Any], *, scheduler: Scheduler | None = None
    ) -> Self:
        """Build an emulator from `export_state()` data; raises `DescriptionError` when the data is invalid."""
        emulator = cls(_parse_export_description(data), scheduler=scheduler)
        emulator.restore_state(data)
        return emulator

    def restore_state(self, data: Mapping[str, Any]) -> None:
        """Replace the description and the whole state with `export_state()` data.

        A restart of the host program is not a power failure: levels, CCO and override come back as exported, with
        no M7 or O3 effects; a CCO pulse in progress at export comes back open. Subscribers receive the events
        of every difference (modules added, removed or changed, then state changes). `DescriptionError` (with
        the path) when the data is invalid; nothing changes then.
        """
        description = _parse_export_description(data)
        try:
            states = _STATE_SCHEMA(
                {
                    "format": data.get("format"),
                    "modules": data.get("modules"),
                    **_offset_item(data),
                }
            )
        except vol.Invalid as err:
            raise _state_error(err) from None
        records = _restored_records(description, states["modules"])
        offset = dt.timedelta(microseconds=states.get("processor_time_offset_us", 0))

        for timer in list(self._timers):
            timer.cancel()
        old_records = self._modules
        before = {
            serial: (record.description, _snapshot(record))
            for serial, record in old_records.items()
        }
        for record in old_records.values():
            self._cancel_pulse(record)
        for serial, record in records.items():
            old = old_records.get(serial)
            if old is not None:  # keep the live state objects that callers may hold
                _copy_state(record.state, old.state)
                old.levels = record.levels
                old.saved_levels = record.saved_levels
                records[serial] = old
        self._time_offset = offset
        self._install(description, records)
        publish = self.events.publish
        for serial, (old_description, _) in before.items():
            if serial not in self._modules:
                publish(Event(EventKind.MODULE_REMOVED, serial, None, old_description))
        for serial, record in self._modules.items():
            if serial not in before:
                self._derive(record)
                publish(Event(EventKind.MODULE_ADDED, serial, None, record.description))
            elif before[serial][0] != record.description:
                publish(
                    Event(EventKind.MODULE_CHANGED, serial, None, record.description)
                )
        for serial, record in self._modules.items():
            if serial in before:
                self._commit(record, before[serial][1])


def _copy_state(source: ModuleState, target: ModuleState) -> None:
    for source_zone, target_zone in zip(source.zones, target.zones, strict=True):
        target_zone.relay_operations = source_zone.relay_operations
    target.cci_open = source.cci_open
    target.override_active = source.override_active
    target.cco_closed = source.cco_closed
    target.powered = source.powered
    target.link_up = source.link_up
    target.bypass = source.bypass
    target.program_mode = source.program_mode
    target.temperature_c = source.temperature_c


def _export_module(record: _Module) -> dict[str, Any]:
    st = record.state
    return {
        "levels": list(record.levels),
        "relay_operations": [zone.relay_operations or 0 for zone in st.zones],
        "saved_levels": None
        if record.saved_levels is None
        else list(record.saved_levels),
        "cci_open": st.cci_open,
        "override_active": st.override_active,
        "cco_closed": st.cco_closed,
        "cco_pulsing": record.pulse is not None,
        "powered": st.powered,
        "link_up": st.link_up,
        "bypass": st.bypass,
        "program_mode": st.program_mode,
        "temperature_c": st.temperature_c,
    }


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise vol.Invalid("expected true or false")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise vol.Invalid("expected a count (an integer from 0)")
    return value


def _temperature(value: Any) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
    ):
        raise vol.Invalid("expected a temperature in °C")
    return float(value)


def _four[T](item: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    def validate(value: Any) -> list[T]:
        if not isinstance(value, list) or len(value) != ZONES_PER_MODULE:
            raise vol.Invalid(
                f"expected a list of {ZONES_PER_MODULE} values, one per zone"
            )
        return [item(element) for element in value]

    return validate


_MODULE_STATE_SCHEMA = vol.Schema(
    {
        vol.Required("levels"): _four(_bool),
        vol.Required("relay_operations"): _four(_count),
        vol.Optional("saved_levels", default=None): vol.Any(None, _four(_bool)),
        vol.Required("cci_open"): _bool,
        vol.Required("override_active"): _bool,
        vol.Required("cco_closed"): _bool,
        vol.Optional("cco_pulsing", default=False): _bool,
        vol.Required("powered"): _bool,
        vol.Required("link_up"): _bool,
        vol.Required("bypass"): _bool,
        vol.Required("program_mode"): _bool,
        vol.Optional("temperature_c", default=None): _temperature,
    }
)

_STATE_SCHEMA = vol.Schema(
    {
        vol.Required("format"): vol.All(
            _count, vol.In([EXPORT_FORMAT], msg="unknown export format")
        ),
        vol.Required("modules"): vol.Schema({str: _MODULE_STATE_SCHEMA}),
        vol.Optional("processor_time_offset_us"): vol.All(
            int, vol.Range(min=-(2**62), max=2**62)
        ),
    }
)


def _offset_item(data: Mapping[str, Any]) -> dict[str, Any]:
    key = "processor_time_offset_us"
    return {key: data[key]} if key in data else {}


def _state_error(err: vol.Invalid) -> DescriptionError:
    first = err.errors[0] if isinstance(err, vol.MultipleInvalid) else err
    path = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in first.path
    ).lstrip(".")
    return DescriptionError(path, first.error_message or str(first))


def _parse_export_description(data: Mapping[str, Any]) -> SystemDescription:
    if not isinstance(data, Mapping) or not isinstance(
        data.get("description"), Mapping
    ):
        raise DescriptionError(
            "description", "exported data holds a description mapping"
        )
    try:
        return parse_description(data["description"])
    except DescriptionError as err:
        raise DescriptionError(
            f"description.{err.path}" if err.path else "description", err.message
        ) from None


def _restored_records(
    description: SystemDescription, states: Mapping[str, Mapping[str, Any]]
) -> dict[str, _Module]:
    """Check that the states fit the description and build the module records from them."""
    serials = {module.serial for module in description.modules}
    for serial in states:
        if serial not in serials:
            raise DescriptionError(
                f"modules.{serial}", "no module of the description has this serial"
            )
    records: dict[str, _Module] = {}
    for module in description.modules:
        path = f"modules.{module.serial}"
        item = states.get(module.serial)
        if item is None:
            raise DescriptionError(path, "the state of this module is missing")
        if item["powered"] and item["override_active"] != item["cci_open"]:
            raise DescriptionError(
                f"{path}.override_active",
                "a powered module is in override exactly while its CCI is open",
            )
        if item["override_active"] != (item["saved_levels"] is not None):
            raise DescriptionError(
                f"{path}.saved_levels",
                "saved levels exist exactly while override is active",
            )
        if item["cco_closed"] and not item["powered"]:
            raise DescriptionError(
                f"{path}.cco_closed",
                "the CCO relay of a module without power is open (O3)",
            )
        state = ModuleState(
            zones=[
                ZoneState(on=False, relay_operations=count)
                for count in item["relay_operations"]
            ],
            cci_open=item["cci_open"],
            override_active=item["override_active"],
            cco_closed=item["cco_closed"] and not item["cco_pulsing"],
            powered=item["powered"],
            link_up=item["link_up"],
            bypass=item["bypass"],
            program_mode=item["program_mode"],
            temperature_c=item["temperature_c"],
        )
        records[module.serial] = _Module(
            description=module,
            state=state,
            levels=list(item["levels"]),
            saved_levels=None
            if item["saved_levels"] is None
            else list(item["saved_levels"]),
        )
    return records
