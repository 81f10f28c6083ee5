"""The emulated system: the facade `Emulator` over the processor's modules, their timers and its structure.

It looks modules up, applies commands and conditions through the module rules (`module.py`), runs CCO pulses and
delayed commands on its scheduler, changes the structure (add, remove, update modules), and saves and restores
everything through `persistence.py`. See the package docstring for the behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
import datetime as dt
import math
from typing import Any, Self

from ..clock import AsyncioScheduler, Scheduler, TimerHandle
from ..const import (
    ZONES_PER_MODULE,
    Button,
    CcoType,
    Fault,
    IgnoredReason,
    check_pulse_seconds,
    module_facts,
    processor_facts,
)
from ..errors import DescriptionError, UnknownObjectError
from ..events import Event, EventBus, EventKind
from ..model import DeviceDescription, DeviceState, SystemDescription
from .description import validate_description
from .module import ModuleRecord, Snapshot, changes, require_bool
from .persistence import (
    copy_state,
    export_system,
    parse_export,
    parse_export_description,
)


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
        self._modules: dict[str, ModuleRecord] = {}
        self._description = description
        self._install(description, {})

    # ----------------------------------------------------------------------------------------------------------
    # Structure and look-ups

    def _install(
        self, description: SystemDescription, modules: dict[str, ModuleRecord]
    ) -> None:
        """Make `description` current; `modules` holds the records to keep (others start in factory state)."""
        ordered = tuple(
            sorted(
                description.modules, key=lambda module: (module.link, module.address)
            )
        )
        self._description = replace(description, devices=ordered)
        self._modules = {}
        for module in ordered:
            record = modules.get(module.serial) or ModuleRecord(module)
            record.description = module
            self._modules[module.serial] = record

    @property
    def description(self) -> SystemDescription:
        """The system as it is now (changes with `add_module`, `remove_module`, `update_module`)."""
        return self._description

    @property
    def scheduler(self) -> Scheduler:
        """The scheduler that runs this emulator's timers."""
        return self._scheduler

    def _get(self, serial: str) -> ModuleRecord:
        module = self._modules.get(serial) or self._modules.get(serial.upper())
        if module is None:
            raise UnknownObjectError(f"No module has serial {serial}")
        return module

    def state(self, serial: str) -> DeviceState:
        """Return the live state of a module (read it, never change it); `UnknownObjectError` if unknown."""
        return self._get(serial).state

    def module(self, serial: str) -> DeviceDescription:
        """Return the description of a module; `UnknownObjectError` if unknown."""
        return self._get(serial).description

    def device_integration_id(self, serial: str) -> int:
        """Return the integration id of the processor or of a module, by serial; `UnknownObjectError` if none."""
        if serial.upper() == self._description.processor.serial:
            return self._description.processor.integration_id
        return self._get(serial).description.integration_id

    def _zone_index(self, module: ModuleRecord, zone: int) -> int:
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

    def _commit(self, module: ModuleRecord, before: Snapshot) -> None:
        """Derive the reported state and publish every difference from `before`, in a fixed order."""
        module.derive()
        after = module.snapshot()
        if after == before:
            return
        for event in changes(module.description.serial, before, after):
            self.events.publish(event)

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
            before = module.snapshot()
            module.switch(index, bool(on))
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
        before = module.snapshot()
        module.cancel_pulse()
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
        duration = check_pulse_seconds(
            module.description.cco.pulse_seconds if seconds is None else seconds
        )
        reason = module.state.ignored_reason
        if reason is not None:
            return reason
        self._pulse(module, duration)
        return None

    def _pulse(self, module: ModuleRecord, seconds: float) -> None:
        # Start the timer first: if the scheduler cannot (no event loop), nothing has changed.
        handle = self._scheduler.call_later(seconds, lambda: self._end_pulse(module))
        before = module.snapshot()
        module.cancel_pulse()
        module.pulse = handle
        module.state.cco_closed = True
        self._commit(module, before)

    def _end_pulse(self, module: ModuleRecord) -> None:
        module.pulse = None
        before = module.snapshot()
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
        before = module.snapshot()
        if pressed is Button.PROG:
            target = not any(module.levels)
            for index in range(ZONES_PER_MODULE):
                module.switch(index, target)
        else:
            index = int(pressed) - 1
            module.switch(index, not module.levels[index])
        self._commit(module, before)
        return None

    # ----------------------------------------------------------------------------------------------------------
    # Physical conditions

    def set_cci(self, serial: str, open_: bool) -> None:
        """Open or close the CCI contact (C1, C2, C5); with a CCI group (C7), every module of the group.

        The modules of a group change one after the other, in link/address order, each publishing its events.
        """
        require_bool(open_, "set_cci")
        module = self._get(serial)
        group = module.description.cci_group
        serials = (
            self._description.cci_group(group)
            if group is not None
            else (module.description.serial,)
        )
        for member_serial in serials:
            member = self._modules[member_serial]
            if member.state.cci_open == open_:
                continue
            before = member.snapshot()
            member.state.cci_open = open_
            member.evaluate_cci()
            self._commit(member, before)

    def set_power(self, serial: str, powered: bool) -> None:
        """Cut or restore mains power at the module (M7, O3, M11)."""
        require_bool(powered, "set_power")
        module = self._get(serial)
        st = module.state
        if st.powered == powered:
            return
        before = module.snapshot()
        st.powered = powered
        if powered:
            module.evaluate_cci()
        else:
            module.cancel_pulse()
            st.cco_closed = False  # O3: the relay is non-latching
        self._commit(module, before)

    def set_link(self, serial: str, up: bool) -> None:
        """Cut or restore the module's QS link (L2, M10)."""
        require_bool(up, "set_link")
        module = self._get(serial)
        if module.state.link_up == up:
            return
        before = module.snapshot()
        module.state.link_up = up
        self._commit(module, before)

    def set_bypass(self, serial: str, installed: bool) -> None:
        """Install or remove the wiring-verification bypass jumper (M13)."""
        require_bool(installed, "set_bypass")
        module = self._get(serial)
        if module.state.bypass == installed:
            return
        before = module.snapshot()
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
        before = module.snapshot()
        module.state.temperature_c = float(celsius)
        self._commit(module, before)

    def set_program_mode(self, serial: str, on: bool) -> None:
        """Enter or leave program mode (M11: the Prog LED blinks once every 3 s)."""
        require_bool(on, "set_program_mode")
        module = self._get(serial)
        if module.state.program_mode == on:
            return
        before = module.snapshot()
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
        setter(serial, require_bool(value, kind.value))

    # ----------------------------------------------------------------------------------------------------------
    # Structure

    def add_module(self, module: DeviceDescription) -> None:
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
            self._description, devices=(*self._description.devices, module)
        )
        validate_description(description)
        self._install(description, self._modules)
        self.events.publish(
            Event(
                EventKind.DEVICE_ADDED,
                module.serial,
                None,
                self._modules[module.serial].description,
            )
        )

    def remove_module(self, serial: str) -> None:
        """Remove a module (its pulse, if any, is cancelled); `UnknownObjectError` if unknown."""
        record = self._get(serial)
        record.cancel_pulse()
        removed = record.description
        description = replace(
            self._description,
            devices=tuple(
                m for m in self._description.devices if m.serial != removed.serial
            ),
        )
        modules = dict(self._modules)
        del modules[removed.serial]
        self._install(description, modules)
        self.events.publish(
            Event(EventKind.DEVICE_REMOVED, removed.serial, None, removed)
        )

    def update_module(self, module: DeviceDescription) -> None:
        """Replace the settings of the module with the same serial (names, loads, CCO type, groups, ids...).

        Its state is kept. Raises like `add_module`; `UnknownObjectError` if no module has this serial.
        """
        record = self._get(module.serial)
        if record.description == module:
            return
        description = replace(
            self._description,
            devices=tuple(
                module if m.serial == module.serial else m
                for m in self._description.devices
            ),
        )
        validate_description(description)
        self._install(description, self._modules)
        self.events.publish(
            Event(EventKind.DEVICE_CHANGED, module.serial, None, module)
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
                module.cancel_pulse()
                before = module.snapshot()
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
        return export_system(self._description, self._modules, self._time_offset)

    @classmethod
    def from_export(
        cls, data: Mapping[str, Any], *, scheduler: Scheduler | None = None
    ) -> Self:
        """Build an emulator from `export_state()` data; raises `DescriptionError` when the data is invalid."""
        emulator = cls(parse_export_description(data), scheduler=scheduler)
        emulator.restore_state(data)
        return emulator

    def restore_state(self, data: Mapping[str, Any]) -> None:
        """Replace the description and the whole state with `export_state()` data.

        A restart of the host program is not a power failure: levels, CCO and override come back as exported, with
        no M7 or O3 effects; a CCO pulse in progress at export comes back open. Subscribers receive the events
        of every difference (modules added, removed or changed, then state changes). `DescriptionError` (with
        the path) when the data is invalid; nothing changes then.
        """
        description, records, offset = parse_export(data)

        for timer in list(self._timers):
            timer.cancel()
        old_records = self._modules
        before = {
            serial: (record.description, record.snapshot())
            for serial, record in old_records.items()
        }
        for record in old_records.values():
            record.cancel_pulse()
        for serial, record in records.items():
            old = old_records.get(serial)
            if old is not None:  # keep the live state objects that callers may hold
                copy_state(record.state, old.state)
                old.levels = record.levels
                old.saved_levels = record.saved_levels
                records[serial] = old
        self._time_offset = offset
        self._install(description, records)
        publish = self.events.publish
        for serial, (old_description, _) in before.items():
            if serial not in self._modules:
                publish(Event(EventKind.DEVICE_REMOVED, serial, None, old_description))
        for serial, record in self._modules.items():
            if serial not in before:
                record.derive()
                publish(Event(EventKind.DEVICE_ADDED, serial, None, record.description))
            elif before[serial][0] != record.description:
                publish(
                    Event(EventKind.DEVICE_CHANGED, serial, None, record.description)
                )
        for serial, record in self._modules.items():
            if serial in before:
                self._commit(record, before[serial][1])
