"""The emulated system: the facade `Emulator` over the processor's modules, their timers and its structure.

It looks modules up, applies commands and conditions through the module rules (`module.py`), runs CCO pulses and
delayed commands on its scheduler, changes the structure (add, remove, update modules), and saves and restores
everything through `persistence.py`. See the package docstring for the behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
import datetime as dt
import math
from typing import Any, Self

from ..clock import AsyncioScheduler, Scheduler, TimerHandle
from ..const import (
    ZONES_PER_MODULE,
    Button,
    ButtonAction,
    CcoType,
    Fault,
    Gesture,
    IgnoredReason,
    LedState,
    ProgrammingModel,
    ShadeMove,
    check_pulse_seconds,
    module_facts,
    processor_facts,
)
from ..errors import DescriptionError, UnknownObjectError
from ..events import Event, EventBus, EventKind
from ..model import (
    SHADE_CONTROL_TYPES,
    ControlType,
    DeviceDescription,
    DeviceKind,
    DeviceState,
    InputDescription,
    InputType,
    OutputDescription,
    OutputRef,
    SystemDescription,
)
from .description import validate_description
from .house import (
    DIMMED_RAMP_SECONDS,
    FULL_RANGE,
    LONG_PRESS_SECONDS,
    MULTI_TAP_SECONDS,
    SHADE_STOP_GRACE_SECONDS,
    SHADE_TRAVEL_SECONDS,
    DeviceRecord,
    DeviceSnapshot,
    Motion,
    check_fade,
    check_level,
    device_changes,
    is_device_kind,
    next_occurrence,
)
from .module import ModuleRecord, Snapshot, changes, require_bool
from .persistence import (
    copy_device_state,
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
        self._devices: dict[str, DeviceRecord] = {}
        # Keypads whose LEDs follow a device's outputs (LP42), and the occupancy sensors of each area (LP44).
        self._watchers: dict[str, dict[int | None, list[tuple[str, int]]]] = {}
        self._area_sensors: dict[str, tuple[str, ...]] = {}
        self._timeclock_timer: TimerHandle | None = None
        self._offline: set[str] = (
            set()
        )  # serials of the processors cut off the network (LP53)
        self._description = description
        self._install(description, {}, {})
        for record in self._devices.values():
            self._evaluate_leds(record, record.description.buttons)
        self.start()

    # ----------------------------------------------------------------------------------------------------------
    # Structure and look-ups

    def _install(
        self,
        description: SystemDescription,
        modules: dict[str, ModuleRecord],
        devices: dict[str, DeviceRecord],
    ) -> None:
        """Make `description` current; `modules` and `devices` hold the records to keep (others start new).

        The switching modules come first, in link/address order, then every other device in description order.
        """
        ordered = tuple(
            sorted(
                description.modules, key=lambda module: (module.link, module.address)
            )
        )
        others = tuple(
            device for device in description.devices if is_device_kind(device)
        )
        self._description = replace(description, devices=(*ordered, *others))
        self._modules = {}
        for module in ordered:
            record = modules.get(module.serial) or ModuleRecord(module)
            record.description = module
            self._modules[module.serial] = record
        self._devices = {}
        watchers: dict[str, dict[int | None, list[tuple[str, int]]]] = {}
        areas: dict[str, list[str]] = {}
        for device in others:
            kept = devices.get(device.serial)
            self._devices[device.serial] = (
                kept if kept is not None else DeviceRecord.new(device)
            )
            self._devices[device.serial].description = device
            if device.kind is DeviceKind.OCCUPANCY_SENSOR:
                areas.setdefault(device.area, []).append(device.serial)
            for item in device.buttons:
                for integration_id, _ in (
                    item.programming.targets if item.programming is not None else ()
                ):
                    target = self._description.output(integration_id)
                    if target is not None:
                        watchers.setdefault(target.serial, {}).setdefault(
                            target.zone, []
                        ).append((device.serial, item.number))
        self._watchers = watchers
        self._area_sensors = {area: tuple(keys) for area, keys in areas.items()}
        # Effective links (LP53): a device's own, and its processor on the network.
        for kept_module in self._modules.values():
            kept_module.state.link_up = kept_module.own_link_up and self._online(
                kept_module.description
            )
        for kept_device in self._devices.values():
            if self._has_link(kept_device.description):
                kept_device.state.link_up = kept_device.own_link_up and self._online(
                    kept_device.description
                )
                for zone in kept_device.state.zones:
                    zone.level_accurate = kept_device.reachable

    def _online(self, device: DeviceDescription) -> bool:
        """Whether the processor whose link `device` sits on is on the network (LP53)."""
        return (
            not self._offline
            or self._description.processor_of(device).serial not in self._offline
        )

    @staticmethod
    def _has_link(description: DeviceDescription) -> bool:
        """Whether a device sits on a link (a timeclock is part of its processor)."""
        return description.kind is not DeviceKind.TIMECLOCK

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

    def _record(self, serial: str) -> DeviceRecord:
        record = self._devices.get(serial) or self._devices.get(serial.upper())
        if record is None:
            raise UnknownObjectError(f"No device has serial {serial}")
        return record

    def _record_of(self, serial: str, kind: DeviceKind) -> DeviceRecord:
        record = self._record(serial)
        if record.description.kind is not kind:
            raise UnknownObjectError(
                f"{record.description.name} is not a {kind.value.replace('_', ' ')}"
            )
        return record

    def _any(self, serial: str) -> ModuleRecord | DeviceRecord:
        found: ModuleRecord | DeviceRecord | None = (
            self._modules.get(serial)
            or self._modules.get(serial.upper())
            or self._devices.get(serial)
            or self._devices.get(serial.upper())
        )
        if found is None:
            raise UnknownObjectError(f"No device has serial {serial}")
        return found

    def state(self, serial: str) -> DeviceState:
        """Return the live state of any device (read it, never change it); `UnknownObjectError` if unknown."""
        return self._any(serial).state

    def module(self, serial: str) -> DeviceDescription:
        """Return the description of a switching module; `UnknownObjectError` if unknown."""
        return self._get(serial).description

    def device(self, serial: str) -> DeviceDescription:
        """Return the description of any device (a module, a keypad, a timeclock...); `UnknownObjectError` if unknown."""
        return self._any(serial).description

    def device_integration_id(self, serial: str) -> int:
        """Return the integration id of a processor or of a device, by serial; `UnknownObjectError` if none."""
        for processor in self._description.processors:
            if serial.upper() == processor.serial:
                return processor.integration_id
        return self._any(serial).description.integration_id

    def processor_online(self, serial: str) -> bool:
        """Whether a processor of the project is on the network (LP53); one the project no longer has is not."""
        try:
            return (
                self._description.processor_by_serial(serial).serial
                not in self._offline
            )
        except UnknownObjectError:
            return False

    def set_processor_online(self, serial: str, online: bool) -> None:
        """Put a processor of the project on the network, or cut it off (LP53).

        Publishes `EventKind.PROCESSOR`. Cut off, every device on its links is unreachable as with a link fault
        (its effective link is down: LINK events, commands ignored with `NO_LINK`, LP49); back, each returns to
        its own link condition (a device whose own link is cut stays down). `UnknownObjectError` if no processor
        of the project has `serial`.
        """
        require_bool(online, Fault.PROCESSOR.value)
        processor = self._description.processor_by_serial(serial)
        if (processor.serial not in self._offline) == online:
            return
        if online:
            self._offline.discard(processor.serial)
        else:
            self._offline.add(processor.serial)
        self.events.publish(Event(EventKind.PROCESSOR, processor.serial, None, online))
        for device in self._description.devices_of(processor.serial):
            module = self._modules.get(device.serial)
            if module is not None:
                before = module.snapshot()
                module.state.link_up = module.own_link_up and online
                self._commit(module, before)
            elif (record := self._devices.get(device.serial)) is not None and (
                self._has_link(device)
            ):
                before_device = record.snapshot()
                record.state.link_up = record.own_link_up and online
                self._reachability_changed(record, before_device)

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

    def _commit(
        self, module: ModuleRecord, before: Snapshot, *, follow: bool = True
    ) -> None:
        """Derive the reported state and publish every difference from `before`, in a fixed order.

        `follow`: re-evaluate the keypad LEDs that follow the module's outputs (LP42); not on a restore.
        """
        module.derive()
        after = module.snapshot()
        if after == before:
            return
        for event in changes(module.description.serial, before, after):
            self.events.publish(event)
        if follow:
            outputs: list[int | None] = [
                number
                for number, (old, new) in enumerate(
                    zip(before.zones_on, after.zones_on, strict=True), start=1
                )
                if old != new
            ]
            if after.cco_closed != before.cco_closed:
                outputs.append(None)
            self._followed(module.description.serial, outputs)

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
        module.own_link_up = up
        effective = up and self._online(module.description)
        if module.state.link_up == effective:
            return
        before = module.snapshot()
        module.state.link_up = effective
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

    def simulate(
        self, serial: str, fault: Fault, value: bool | float, *, output: int = 1
    ) -> None:
        """Apply a physical condition by name (the ``#EMULATOR`` commands); dispatches to the ``set_*`` methods.

        Values: CCI True = open; POWER True = powered; LINK True = up; BYPASS True = installed; PROGRAM True =
        program mode; TEMPERATURE in °C; OCCUPANCY True = a person is in the sensor's area (LP44);
        MANUAL_LEVEL 0..100 = a person moved shade or dimmed `output` at the device (it always applies);
        PROCESSOR True = the processor with serial `serial` is on the network (`set_processor_online`, LP53).
        POWER and LINK apply to every device on a link (a device without either ignores commands, LP49); the
        module conditions (CCI, bypass, temperature, program mode) only to switching modules.
        `TypeError` or `ValueError` for a value of the wrong kind, `UnknownObjectError` where the device has no
        such condition.
        """
        kind = Fault(fault)
        if kind is Fault.PROCESSOR:
            self.set_processor_online(serial, require_bool(value, kind.value))
            return
        if serial not in self._modules and serial.upper() not in self._modules:
            record = self._record(serial)
            if kind is Fault.OCCUPANCY:
                self._set_occupancy(record, value)
            elif kind is Fault.MANUAL_LEVEL:
                self._manual_level(record, output, value)
            elif kind in (Fault.POWER, Fault.LINK):
                self._set_device_condition(record, kind, value)
            else:
                raise UnknownObjectError(
                    f"{record.description.name} is not a switching module: it has no {kind.value} condition"
                )
            return
        if kind in (Fault.OCCUPANCY, Fault.MANUAL_LEVEL):
            raise UnknownObjectError(
                f"Module {serial} has no {kind.value.replace('_', ' ')}"
            )
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
    # The rest of the house: dimmed zones, shades, keypads, occupancy, timeclocks

    def _commit_device(
        self,
        record: DeviceRecord,
        before: DeviceSnapshot,
        *,
        moved: int | None = None,
        announce: int | None = None,
        follow: bool = True,
    ) -> None:
        """Publish every difference from `before`; re-evaluate the LEDs that follow the device when it changed.

        `moved`: an output whose motion started or ended (the LEDs follow it even when no level changed). `announce`: an output
        whose LEVEL is published even when unchanged (LP27: a ramp's start and end are pushed).
        """
        serial = record.description.serial
        after = record.snapshot()
        for event in device_changes(serial, before, after):
            self.events.publish(event)
        if announce is not None and (
            before.levels[announce - 1] == after.levels[announce - 1]
        ):
            self.events.publish(
                Event(EventKind.LEVEL, serial, announce, after.levels[announce - 1])
            )
        if follow:
            outputs: set[int | None] = {
                number
                for number, (old, new) in enumerate(
                    zip(before.levels, after.levels, strict=True), start=1
                )
                if old != new
            }
            if moved is not None:
                outputs.add(moved)
            self._followed(serial, outputs)

    def _followed(self, serial: str, outputs: Iterable[int | None]) -> None:
        """Re-evaluate the LEDs of the buttons whose programming names a changed output of `serial` (LP42)."""
        watched = self._watchers.get(serial)
        if not watched:
            return
        by_keypad: dict[str, set[int]] = {}
        for output in outputs:
            for keypad_serial, button in watched.get(output, ()):
                by_keypad.setdefault(keypad_serial, set()).add(button)
        for keypad_serial, numbers in by_keypad.items():
            record = self._devices[keypad_serial]
            self._evaluate_leds(
                record,
                [item for item in record.description.buttons if item.number in numbers],
            )

    @staticmethod
    def _level_zone(record: DeviceRecord, output: int) -> OutputDescription:
        """Return a level output of a device beside the modules (every output of theirs has a level)."""
        description = record.description
        if isinstance(output, bool) or not isinstance(output, int):
            raise UnknownObjectError(f"{description.name} has no output {output!r}")
        return description.output(output)

    def set_level(
        self,
        serial: str,
        output: int,
        level: float,
        fade_seconds: float | None = None,
    ) -> IgnoredReason | None:
        """Set a dimmed or shade output to `level` (0..100; a shade's percent open).

        The target is reported at once, with one LEVEL event and no intermediate ones, whatever the fade
        (LP27; `fade_seconds` None is the 1 s default of LP26, and must be 0 to 4 h). Ours for shades: a level
        is also reported at once (the travel time is not modelled), and it ends a Raise/Lower and the "moving"
        state LP33 leaves behind. Returns why an unreachable device ignored it (LP49), or None.
        """
        record = self._record(serial)
        self._level_zone(record, output)
        target = check_level(level)
        check_fade(fade_seconds)
        reason = record.state.ignored_reason
        if reason is not None:
            return reason
        self._go_to_level(record, output, target)
        return None

    def _go_to_level(self, record: DeviceRecord, output: int, level: float) -> None:
        zone = record.state.zones[output - 1]
        if zone.level == level and zone.on == (level > 0) and not record.moving(output):
            return  # already there and still (a scene pressed again): nothing changes, nothing to publish
        before = record.snapshot()
        moved = self._halt(record, output)
        record.state.set_output_level(output, level)
        self._commit_device(record, before, moved=output if moved else None)

    def _halt(self, record: DeviceRecord, output: int) -> bool:
        """Forget the output's motion and "moving" state, without touching its level; returns whether it had one."""
        motion = record.motions.pop(output, None)
        if motion is not None and motion.timer is not None:
            motion.timer.cancel()
        stuck = output in record.stuck
        record.stuck.discard(output)
        return motion is not None or stuck

    def set_tilt(self, serial: str, output: int, tilt: float) -> IgnoredReason | None:
        """Set the tilt (0..100) of a shade-with-tilt output, reported at once; the reason if ignored (LP49)."""
        record = self._record(serial)
        zone = self._level_zone(record, output)
        if zone.control_type is not ControlType.SHADE_WITH_TILT:
            raise UnknownObjectError(
                f"Output {output} of {record.description.name} has no tilt"
            )
        value = check_level(tilt, "tilt")
        reason = record.state.ignored_reason
        if reason is not None:
            return reason
        before = record.snapshot()
        record.state.zones[output - 1].tilt = value
        self._commit_device(record, before)
        return None

    def move(self, serial: str, output: int, move: ShadeMove) -> IgnoredReason | None:
        """Raise, lower or stop a dimmed or shade output.

        Dimmed (LP27): a Raise/Lower ramps the full range in 5 s; its level is reported once when the ramp
        starts (the level then) and once at Stop or at the end stop (the level reached). Shades (LP33): they
        travel the full range in 20 s until Stop, reported when they stop; a Stop within 200 ms of the
        Raise/Lower leaves the shade where it was; a Raise/Lower that reaches its end stop without a Stop leaves
        the shade "moving" (`shade_moving`) until a Stop, a level, or an open-stop-close-stop button's press.
        Returns why an unreachable device ignored it (LP49), or None.
        """
        record = self._record(serial)
        self._level_zone(record, output)
        command = ShadeMove(move)
        reason = record.state.ignored_reason
        if reason is not None:
            return reason
        if command is ShadeMove.STOP:
            self._stop(record, output)
        else:
            self._start_motion(record, output, command, held=True)
        return None

    def shade_moving(self, serial: str, output: int) -> bool:
        """Whether a level output is moving, or was left "moving" at its end stop (LP33)."""
        record = self._record(serial)
        self._level_zone(record, output)
        return record.moving(output)

    def _is_shade(self, record: DeviceRecord, output: int) -> bool:
        return record.description.outputs[output - 1].control_type in (
            SHADE_CONTROL_TYPES
        )

    def _start_motion(
        self, record: DeviceRecord, output: int, direction: ShadeMove, *, held: bool
    ) -> None:
        shade = self._is_shade(record, output)
        now = self._scheduler.monotonic()
        current = record.motions.get(output)
        level = (
            current.level_at(now)
            if current is not None
            else record.state.zones[output - 1].level
        )
        motion = Motion(
            direction,
            level,
            now,
            SHADE_TRAVEL_SECONDS if shade else DIMMED_RAMP_SECONDS,
            held,
        )
        # Start the timer first: if the scheduler cannot (no event loop), nothing has changed.
        motion.timer = self._scheduler.call_later(
            motion.seconds_to_end(), lambda: self._end_motion(record, output, motion)
        )
        before = record.snapshot()
        self._halt(record, output)
        record.motions[output] = motion
        if shade:
            record.last_direction[output] = direction
        record.state.set_output_level(output, level)
        self._commit_device(
            record, before, moved=output, announce=None if shade else output
        )

    def _end_motion(self, record: DeviceRecord, output: int, motion: Motion) -> None:
        # Its timer is cancelled whenever the motion is replaced or stopped: it is still the output's motion.
        shade = self._is_shade(record, output)
        del record.motions[output]
        before = record.snapshot()
        if shade and motion.held:
            record.stuck.add(output)  # LP33: no Stop came
        record.state.set_output_level(output, motion.end_level)
        self._commit_device(
            record, before, moved=output, announce=None if shade else output
        )

    def _stop(self, record: DeviceRecord, output: int) -> None:
        motion = record.motions.get(output)
        shade = self._is_shade(record, output)
        if motion is None:
            if self._halt(record, output):  # a shade left "moving" at its end stop
                self._commit_device(record, record.snapshot(), moved=output)
            return
        now = self._scheduler.monotonic()
        if shade and now - motion.started < SHADE_STOP_GRACE_SECONDS:
            level = (
                motion.start_level
            )  # LP33: HA's stop (Raise then Stop) does not move it
        else:
            level = motion.level_at(now)
        self._stop_at(record, output, level)

    def _stop_at(self, record: DeviceRecord, output: int, level: float) -> None:
        before = record.snapshot()
        self._halt(record, output)
        record.state.set_output_level(output, level)
        self._commit_device(
            record,
            before,
            moved=output,
            announce=None if self._is_shade(record, output) else output,
        )

    def _manual_level(self, record: DeviceRecord, output: int, value: object) -> None:
        """Set an output's level as a person at the device does (a shade moved by hand): it always applies."""
        self._level_zone(record, output)
        self._go_to_level(record, output, check_level(value, "manual level"))

    # Keypads (LP39, LP40, LP42)

    def press(
        self, serial: str, button: int, gesture: Gesture = Gesture.TAP
    ) -> IgnoredReason | None:
        """Press keypad button `button` (its position) as a person would, or as a client asks (LP40).

        Events (LP39, on BUTTON events): a tap gives PRESS then RELEASE; a hold gives PRESS, LONG_PRESS after
        2 s, and RELEASE at the `Gesture.RELEASE` that ends it; a double tap is a tap and a second tap, the
        second giving MULTI_TAP then RELEASE (a double tap within 0.5 s of the button's last release is only the
        second tap). The press runs the button's programming once (ours: the second tap of a double tap runs
        nothing): single action sets its targets; toggle sets them unless all are on, else turns them off;
        raise/lower ramps them while held; open-stop-close-stop stops its shades if they move, else opens them
        (closes them when the last travel opened them, or when fully open). A release with no hold in progress
        does nothing. Returns why an unreachable keypad ignored it (LP49), or None.
        """
        record = self._record_of(serial, DeviceKind.KEYPAD)
        item = record.description.input(button)
        if (
            item.input_type is not InputType.BUTTON
        ):  # pragma: no cover - keypads hold buttons only
            raise UnknownObjectError(
                f"{record.description.name} has no button {button}"
            )
        action = Gesture(gesture)
        reason = record.state.ignored_reason
        if reason is not None:
            return reason
        if action is Gesture.RELEASE:
            if button in record.holds:
                self._release(record, item)
            return None
        if button in record.holds:  # a new gesture ends a hold
            self._release(record, item)
        if action is Gesture.HOLD:
            record.holds[button] = self._scheduler.call_later(
                LONG_PRESS_SECONDS, lambda: self._long_press(record, button)
            )
            self._button_event(record, button, ButtonAction.PRESS)
            self._run_press(item)
            return None
        last = record.last_release.get(button)
        recent = (
            last is not None and self._scheduler.monotonic() - last <= MULTI_TAP_SECONDS
        )
        if action is Gesture.TAP or not recent:
            self._button_event(record, button, ButtonAction.PRESS)
            self._run_press(item)
            self._release(record, item)
        if action is Gesture.DOUBLE_TAP:
            self._button_event(record, button, ButtonAction.MULTI_TAP)
            self._button_event(record, button, ButtonAction.RELEASE)
            record.last_release[button] = self._scheduler.monotonic()
        return None

    def _button_event(
        self, record: DeviceRecord, button: int, action: ButtonAction
    ) -> None:
        self.events.publish(
            Event(EventKind.BUTTON, record.description.serial, button, action)
        )

    def _long_press(self, record: DeviceRecord, button: int) -> None:
        # Its timer is cancelled when the button is let go: the button is still held.
        record.holds[button] = None
        self._button_event(record, button, ButtonAction.LONG_PRESS)

    def _release(self, record: DeviceRecord, item: InputDescription) -> None:
        timer = record.holds.pop(item.number, None)
        if timer is not None:
            timer.cancel()
        programming = item.programming
        if programming is not None and programming.model in (
            ProgrammingModel.RAISE,
            ProgrammingModel.LOWER,
        ):
            for target, output in self._level_targets(programming.targets):
                self._stop(target, output)
        self._button_event(record, item.number, ButtonAction.RELEASE)
        record.last_release[item.number] = self._scheduler.monotonic()

    def _level_output(
        self, integration_id: int, *, reachable: bool = True
    ) -> tuple[DeviceRecord, int] | None:
        """Return the device beside the modules and its output that `integration_id` names, or None.

        None as well for a module's output, and with `reachable` for a device without power or link. A
        description names only outputs it has (validation checks every target).
        """
        return self._level_output_of(
            self._description.output_by_integration_id(integration_id),
            reachable=reachable,
        )

    def _level_output_of(
        self, ref: OutputRef, *, reachable: bool = True
    ) -> tuple[DeviceRecord, int] | None:
        """`_level_output` of an output already looked up."""
        record = self._devices.get(ref.serial)
        if record is None or ref.zone is None or (reachable and not record.reachable):
            return None
        return record, ref.zone

    def _level_targets(
        self, targets: tuple[tuple[int, float], ...], *, reachable: bool = True
    ) -> list[tuple[DeviceRecord, int]]:
        """Return the level outputs among `targets` (a module's outputs are not level outputs)."""
        return [
            target
            for integration_id, _ in targets
            if (target := self._level_output(integration_id, reachable=reachable))
            is not None
        ]

    def _run_press(self, item: InputDescription) -> None:
        programming = item.programming
        if programming is None:
            return
        model = programming.model
        targets = programming.targets
        if model is ProgrammingModel.SINGLE_ACTION:
            self._apply(targets)
        elif model is ProgrammingModel.TOGGLE:
            if targets and all(self._output_level(iid) for iid, _ in targets):
                self._apply(tuple((iid, 0.0) for iid, _ in targets))
            else:
                self._apply(targets)
        elif model in (ProgrammingModel.RAISE, ProgrammingModel.LOWER):
            direction = (
                ShadeMove.RAISE if model is ProgrammingModel.RAISE else ShadeMove.LOWER
            )
            for record, output in self._level_targets(targets):
                self._start_motion(record, output, direction, held=False)
        else:  # open-stop-close-stop
            shades = self._level_targets(targets)
            if any(record.moving(output) for record, output in shades):
                for record, output in shades:
                    self._stop(record, output)
                return
            for record, output in shades:
                self._start_motion(
                    record, output, self._next_direction(record, output), held=False
                )

    @staticmethod
    def _next_direction(record: DeviceRecord, output: int) -> ShadeMove:
        level = record.state.zones[output - 1].level
        if level >= FULL_RANGE:
            return ShadeMove.LOWER
        if level <= 0:
            return ShadeMove.RAISE
        last = record.last_direction.get(output, ShadeMove.LOWER)
        return ShadeMove.LOWER if last is ShadeMove.RAISE else ShadeMove.RAISE

    def _apply(self, targets: tuple[tuple[int, float], ...]) -> None:
        """Set each target output to its level; an unreachable or unknown target is skipped (a scene, an event)."""
        output_ref = self._description.output_by_integration_id
        modules = self._modules
        for integration_id, level in targets:
            ref = output_ref(integration_id)
            module = modules.get(ref.serial)
            if module is not None:
                if ref.zone is None:
                    self.set_cco(ref.serial, level > 0)
                elif module.levels[ref.zone - 1] != (level > 0):
                    # A zone already so is left alone, as `set_zone` would (a scene pressed again costs little).
                    self.set_zone(ref.serial, ref.zone, level > 0)
            elif (target := self._level_output_of(ref)) is not None:
                self._go_to_level(*target, level)

    def _output_level(self, integration_id: int) -> float:
        """Return the level (0..100) an output reports."""
        ref = self._description.output_by_integration_id(integration_id)
        state = self._any(ref.serial).state
        if ref.zone is None:
            return FULL_RANGE if state.cco_closed else 0.0
        return state.output_level(ref.zone)

    def _evaluated_led(
        self, record: DeviceRecord, item: InputDescription
    ) -> LedState | None:
        """Return the state programming gives a button's LED (LP42), or None where it gives none."""
        programming = item.programming
        if programming is None:
            return None
        targets = programming.targets
        model = programming.model
        if model is ProgrammingModel.SINGLE_ACTION:
            active = all(
                self._at_level(self._output_level(iid), level) for iid, level in targets
            )
        elif model is ProgrammingModel.TOGGLE:
            active = all(self._output_level(iid) > 0 for iid, _ in targets)
        elif model is ProgrammingModel.OPEN_STOP_CLOSE_STOP:
            active = any(
                target.moving(output)
                for target, output in self._level_targets(targets, reachable=False)
            )
        else:
            return None
        return LedState.ON if active else LedState.OFF

    @staticmethod
    def _at_level(current: float, target: float) -> bool:
        return abs(current - target) < 0.5 if target > 0 else current == 0

    def _evaluate_leds(
        self, record: DeviceRecord, items: Iterable[InputDescription]
    ) -> None:
        before = record.snapshot()
        indicators = record.state.indicators
        for item in items:
            if item.number in indicators:
                led = self._evaluated_led(record, item)
                if led is not None:
                    indicators[item.number] = led
        self._commit_device(record, before)

    def set_indicator(self, serial: str, number: int, on: bool) -> IgnoredReason | None:
        """Turn keypad LED `number` on or off (LP41); it lasts until programming re-evaluates it (LP42).

        Returns why an unreachable keypad ignored it (LP49), or None.
        """
        record = self._record_of(serial, DeviceKind.KEYPAD)
        record.description.indicator(number)
        require_bool(on, "set_indicator")
        reason = record.state.ignored_reason
        if reason is not None:
            return reason
        before = record.snapshot()
        record.state.indicators[number] = LedState.ON if on else LedState.OFF
        self._commit_device(record, before)
        return None

    # Occupancy (LP44)

    def _set_occupancy(self, record: DeviceRecord, occupied: object) -> None:
        if record.description.kind is not DeviceKind.OCCUPANCY_SENSOR:
            raise UnknownObjectError(f"{record.description.name} senses no occupancy")
        record.sensed = require_bool(occupied, Fault.OCCUPANCY.value)
        area = record.description.area
        occupied_now = self.area_occupancy(area)
        for serial in self._area_sensors.get(area, ()):
            sensor = self._devices[serial]
            before = sensor.snapshot()
            sensor.state.occupied = occupied_now
            self._commit_device(sensor, before)

    def area_occupancy(self, area: str) -> bool | None:
        """Whether a person is in `area` (any of its sensors senses one); None for an area without a sensor."""
        sensors = self._area_sensors.get(area)
        if not sensors:
            return None
        return any(self._devices[serial].sensed for serial in sensors)

    # Timeclocks (LP45, LP46)

    def set_timeclock(self, serial: str, enabled: bool) -> IgnoredReason | None:
        """Enable or disable a timeclock (LP46): a disabled one runs none of its events. Never ignored."""
        record = self._record_of(serial, DeviceKind.TIMECLOCK)
        require_bool(enabled, "set_timeclock")
        before = record.snapshot()
        record.state.timeclock_enabled = enabled
        self._commit_device(record, before)
        self._arm_timeclocks()
        return None

    def start(self) -> None:
        """Schedule the next timeclock event, if none is scheduled; harmless to call again.

        An emulator built where no event loop runs (with the default scheduler) schedules it only here.
        """
        if self._timeclock_timer is None:
            self._arm_timeclocks()

    def _timeclock_events(self) -> list[tuple[DeviceRecord, int]]:
        return [
            (record, index)
            for record in self._devices.values()
            if record.description.kind is DeviceKind.TIMECLOCK
            and record.state.timeclock_enabled
            for index in range(len(record.description.schedule))
        ]

    def _arm_timeclocks(self, after: dt.datetime | None = None) -> None:
        """Schedule the next event of any enabled timeclock, strictly after `after` (default: now), on processor time."""
        if self._timeclock_timer is not None:
            self._timeclock_timer.cancel()
            self._timeclock_timer = None
        now = self.processor_time()
        start = now if after is None else max(now, after)
        times = [
            when
            for record, index in self._timeclock_events()
            if (when := next_occurrence(record.description.schedule[index], start))
            is not None
        ]
        if not times:
            return
        when = min(times)
        try:
            self._timeclock_timer = self._scheduler.call_later(
                (when - now).total_seconds(), lambda: self._run_timeclocks(when)
            )
        except RuntimeError:  # no event loop yet: `start()` schedules it
            self._timeclock_timer = None

    def _run_timeclocks(self, when: dt.datetime) -> None:
        self._timeclock_timer = None
        just_before = when - dt.timedelta(microseconds=1)
        for record, index in self._timeclock_events():
            event = record.description.schedule[index]
            if next_occurrence(event, just_before) == when:
                self._apply(event.targets)
        self._arm_timeclocks(when)

    # Power and link of the devices beside the modules (LP49)

    def _set_device_condition(
        self, record: DeviceRecord, fault: Fault, value: bool | float
    ) -> None:
        flag = require_bool(value, fault.value)
        if record.description.kind is DeviceKind.TIMECLOCK:
            raise UnknownObjectError(
                f"{record.description.name} is part of the processor: it has no power or link of its own"
            )
        before = record.snapshot()
        if fault is Fault.POWER:
            record.state.powered = flag
        else:
            record.own_link_up = flag
            record.state.link_up = flag and self._online(record.description)
        self._reachability_changed(record, before)

    def _reachability_changed(
        self, record: DeviceRecord, before: DeviceSnapshot
    ) -> None:
        """Publish a device's power or link change; an unreachable one reports `Bad` levels and stops (LP49)."""
        for zone in record.state.zones:
            zone.level_accurate = record.reachable
        self._commit_device(record, before)
        if not record.reachable:  # it stops where it is, and forgets a button held
            now = self._scheduler.monotonic()
            record.cancel_timers()
            for output, motion in list(record.motions.items()):
                self._stop_at(record, output, motion.level_at(now))
            for output in list(record.stuck):  # nor is it "moving" any more (LP33)
                self._stop(record, output)

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
        self._install(description, self._modules, self._devices)
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
        self._install(description, modules, self._devices)
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
        before = record.snapshot()
        description = replace(
            self._description,
            devices=tuple(
                module if m.serial == module.serial else m
                for m in self._description.devices
            ),
        )
        validate_description(description)
        self._install(description, self._modules, self._devices)
        self.events.publish(
            Event(EventKind.DEVICE_CHANGED, module.serial, None, module)
        )
        self._commit(record, before)  # moved to a processor cut off, or back (LP53)

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
        self._arm_timeclocks()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run `callback` after `delay` seconds on this emulator's scheduler (for delayed commands).

        `close()` cancels it if it has not run yet.
        """
        return _Timer(self._timers, self._scheduler, delay, callback)

    def close(self) -> None:
        """Cancel every timer (`start()` schedules the timeclocks again).

        A CCO pulse cut short opens its contact, a motion stops where it is, a button held is let go without
        events (each change is published); nothing else changes.
        """
        for timer in list(self._timers):
            timer.cancel()
        if self._timeclock_timer is not None:
            self._timeclock_timer.cancel()
            self._timeclock_timer = None
        now = self._scheduler.monotonic()
        for record in self._devices.values():
            record.cancel_timers()
            for output, motion in list(record.motions.items()):
                self._stop_at(record, output, motion.level_at(now))
        for module in self._modules.values():
            if module.pulse is not None:
                module.cancel_pulse()
                before = module.snapshot()
                module.state.cco_closed = False
                self._commit(module, before)

    # ----------------------------------------------------------------------------------------------------------
    # Diagnostics

    def diagnostics(self) -> dict[str, Any]:
        """Return counts and processor facts (P5, P6) for a diagnostics download; no credentials.

        `processor` is the first processor; `processors` lists every one with whether it is on the network (LP53).
        """
        states = [record.state for record in self._modules.values()]
        description = self._description
        processor = description.processor
        return {
            "processor": {
                "serial": processor.serial,
                "firmware": processor.firmware,
                **processor_facts(processor.model),
            },
            "processors": [
                {
                    "serial": item.serial,
                    "model": item.model.value,
                    "online": item.serial not in self._offline,
                    "links": [
                        link.number for link in description.links_of(item.serial)
                    ],
                    "devices": len(description.devices_of(item.serial)),
                }
                for item in description.processors
            ],
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
            **self._house_diagnostics(),
        }

    def _house_diagnostics(self) -> dict[str, Any]:
        records = list(self._devices.values())
        kinds: dict[str, int] = {}
        for record in records:
            kind = record.description.kind.value
            kinds[kind] = kinds.get(kind, 0) + 1
        return {
            "devices": kinds,
            "devices_unreachable": sum(not record.reachable for record in records),
            "levels_on": sum(
                zone.level > 0 for record in records for zone in record.state.zones
            ),
            "outputs_moving": sum(
                len(record.motions) + len(record.stuck) for record in records
            ),
            "buttons_held": sum(len(record.holds) for record in records),
            "leds_on": sum(
                led is LedState.ON
                for record in records
                for led in record.state.indicators.values()
            ),
            "areas_occupied": sum(
                bool(self.area_occupancy(area)) for area in self._area_sensors
            ),
            "timeclocks_enabled": sum(
                bool(record.state.timeclock_enabled) for record in records
            ),
            "timeclock_scheduled": self._timeclock_timer is not None,
        }

    # ----------------------------------------------------------------------------------------------------------
    # Persistence

    def export_state(self) -> dict[str, Any]:
        """Return the description and the whole state as plain JSON-serialisable data.

        Includes zone levels, relay counters, CCI, override (with the saved levels), CCO (and whether a pulse is
        in progress), power, link, bypass, program mode, temperature, the processor time offset, and for the
        other devices their power, link, levels (a moving output where it is), tilts, LEDs, what each occupancy
        sensor senses and whether each timeclock is enabled.
        """
        return export_system(
            self._description,
            self._modules,
            self._devices,
            self._time_offset,
            self._scheduler.monotonic(),
            offline_processors=self._offline,
        )

    @classmethod
    def from_export(
        cls, data: Mapping[str, Any], *, scheduler: Scheduler | None = None
    ) -> Self:
        """Build an emulator from `export_state()` data; raises `DescriptionError` when the data is invalid."""
        emulator = cls(parse_export_description(data), scheduler=scheduler)
        emulator.restore_state(data)
        return emulator

    def _publish_restored_processors(
        self, old_processors: list[str], old_offline: set[str]
    ) -> None:
        """Publish each processor whose network condition a restore changed (LP53).

        A processor the restored project no longer has is off its network.
        """
        kept = set()
        for processor in self._description.processors:
            kept.add(processor.serial)
            online = processor.serial not in self._offline
            if online == (processor.serial in old_offline):
                self.events.publish(
                    Event(EventKind.PROCESSOR, processor.serial, None, online)
                )
        for serial in old_processors:
            if serial not in old_offline and serial not in kept:
                self.events.publish(Event(EventKind.PROCESSOR, serial, None, False))

    def restore_state(self, data: Mapping[str, Any]) -> None:
        """Replace the description and the whole state with `export_state()` data.

        A restart of the host program is not a power failure: levels, CCO and override come back as exported, with
        no M7 or O3 effects; a CCO pulse in progress at export comes back open; motions and buttons held are not
        restored (an output stays where it was), LEDs and the processors cut off the network (LP53) come back as
        exported. Subscribers receive the events of
        every difference (devices added, removed or changed, then state changes). Exports of modules only still
        load (the other devices then start in their factory state). `DescriptionError` (with the path) when the
        data is invalid; nothing changes then.
        """
        parsed = parse_export(data)
        records = parsed.modules
        devices = parsed.devices

        for timer in list(self._timers):
            timer.cancel()
        if self._timeclock_timer is not None:
            self._timeclock_timer.cancel()
            self._timeclock_timer = None
        old_records = self._modules
        old_devices = self._devices
        old_all: dict[str, ModuleRecord | DeviceRecord] = {
            **old_records,
            **old_devices,
        }
        before: dict[str, tuple[DeviceDescription, Snapshot | DeviceSnapshot]] = {
            serial: (record.description, record.snapshot())
            for serial, record in old_all.items()
        }
        for record in old_records.values():
            record.cancel_pulse()
        for device in old_devices.values():
            device.cancel_timers()
            device.motions.clear()
            device.stuck.clear()
        for serial, record in records.items():
            old = old_records.get(serial)
            if old is not None:  # keep the live state objects that callers may hold
                copy_state(record.state, old.state)
                old.own_link_up = record.own_link_up
                old.levels = record.levels
                old.saved_levels = record.saved_levels
                records[serial] = old
        # Devices whose outputs or LEDs changed: their old state no longer compares.
        reshaped: set[str] = set()
        for serial, device in devices.items():
            kept = old_devices.get(serial)
            if kept is None:
                continue
            if len(kept.state.zones) == len(device.state.zones) and (
                kept.state.indicators.keys() == device.state.indicators.keys()
            ):
                copy_device_state(device.state, kept.state)
                kept.sensed = device.sensed
                kept.own_link_up = device.own_link_up
                devices[serial] = kept
            else:
                reshaped.add(serial)
        self._time_offset = parsed.time_offset
        old_offline, self._offline = self._offline, set(parsed.offline_processors)
        old_processors = [
            processor.serial for processor in self._description.processors
        ]
        self._install(parsed.description, records, devices)
        for area, sensors in self._area_sensors.items():
            for sensor in sensors:
                self._devices[sensor].state.occupied = self.area_occupancy(area)
        publish = self.events.publish
        current: dict[str, ModuleRecord | DeviceRecord] = {
            **self._modules,
            **self._devices,
        }
        for serial, (old_description, _) in before.items():
            if serial not in current:
                publish(Event(EventKind.DEVICE_REMOVED, serial, None, old_description))
        for serial, item in current.items():
            if serial not in before:
                if isinstance(item, ModuleRecord):
                    item.derive()
                publish(Event(EventKind.DEVICE_ADDED, serial, None, item.description))
            elif before[serial][0] != item.description:
                publish(Event(EventKind.DEVICE_CHANGED, serial, None, item.description))
        self._publish_restored_processors(old_processors, old_offline)
        for serial, item in current.items():
            if serial not in before or serial in reshaped:
                continue
            old_snapshot = before[serial][1]
            # A serial that changed from a module to another kind (or back) is only DEVICE_CHANGED.
            if isinstance(item, ModuleRecord) and isinstance(old_snapshot, Snapshot):
                self._commit(item, old_snapshot, follow=False)
            elif isinstance(item, DeviceRecord) and isinstance(
                old_snapshot, DeviceSnapshot
            ):
                self._commit_device(item, old_snapshot, follow=False)
        self._arm_timeclocks()
