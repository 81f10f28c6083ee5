"""The shape of a HomeWorks QSX system: its description (static) and its state (dynamic).

Every backend (the emulator, the LIP and LEAP clients) exposes a system through these classes, so code above the
library cannot tell them apart. A system is a processor and its devices; a device is one `DeviceDescription`
(identity, placement, outputs with a control type, inputs, indicators, capabilities) and one `DeviceState`, found
by `SystemDescription.device(serial)`. Descriptions are frozen; states are mutated only by their backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
import hashlib
import math
from typing import ClassVar, Final
import uuid

from .const import (
    DEFAULT_PULSE_SECONDS,
    DEFAULT_TEMPERATURE_C,
    HIGH_TEMPERATURE_C,
    MAINS_VOLTAGE,
    MODULE_MODEL,
    ZONES_PER_MODULE,
    CcoType,
    IgnoredReason,
    IntegrationIdKind,
    LedState,
    LinkType,
    LoadType,
    OperatingMode,
    OverrideLevel,
    ProcessorModel,
)
from .errors import UnknownObjectError


class DeviceKind(StrEnum):
    """What a device is; its outputs, inputs, indicators and capabilities say what it has."""

    SWITCHING_MODULE = "switching_module"  # an LQSE-4S8-120-D (M1–M13, C1–C8, O1–O3)
    AREA_GROUP = "area_group"  # LEAP (LP16): the switched and CCO zones an area lists without their module


class ControlType(StrEnum):
    """How an output is driven (LP14, LP15); dimmed and shade outputs come next."""

    SWITCHED = "switched"  # on or off
    CCO = "cco"  # a dry contact: closed or open


class InputType(StrEnum):
    """What an input senses; keypad buttons come next."""

    CCI = "cci"  # the contact closure input (override contact, C1)


class Capability(StrEnum):
    """What a device has and a backend can tell or do: the integration makes only what both support."""

    ZONES = "zones"  # switch zones, and read their levels
    CCO = "cco"  # open and close a module's own CCO
    CCO_PULSE = "cco_pulse"  # pulse a module's CCO
    CCO_TYPE = (
        "cco_type"  # whether a CCO is maintained or momentary, and its pulse time
    )
    BUTTONS = "buttons"  # press a module's front buttons, and hear local presses
    CCI = "cci"  # the contact closure input (override contact)
    LEDS = "leds"  # the front LEDs
    MODE = "mode"  # operating mode: override, power, link, program mode (derived from CCI and LEDs)
    TEMPERATURE = "temperature"
    RELAY_COUNTS = "relay_counts"
    LOAD_CURRENT = "load_current"  # needs the loads of the description
    LINK_ADDRESS = "link_address"  # each module's link and address
    SIMULATION = "simulation"  # simulate faults (emulator only)


# A switching module has it all; an area group only its zones (LP16: LEAP says nothing else about them).
MODULE_CAPABILITIES: Final = frozenset(Capability)
AREA_GROUP_CAPABILITIES: Final = frozenset({Capability.ZONES})
CCO_OUTPUT: Final = (
    ZONES_PER_MODULE + 1
)  # a module's own CCO is its fifth output, after its four zones
CCI_INPUT: Final = 1  # a module's one input


@dataclass(frozen=True, slots=True)
class ZoneDescription:
    """A switched output (M1, M3): a zone of a module, or a switched zone an area lists (LP14)."""

    number: int  # 1..n on the device
    integration_id: int
    name: str
    load_type: LoadType = LoadType.INCANDESCENT
    amps: float = 0.0  # current drawn when on
    override_level: OverrideLevel = OverrideLevel.ON  # C2
    is_light: bool = True  # LP14: the zone's Category.IsLight

    control_type: ClassVar[ControlType] = ControlType.SWITCHED

    @property
    def watts(self) -> float:
        """Load in watts at the module's mains voltage."""
        return round(self.amps * MAINS_VOLTAGE, 1)


@dataclass(frozen=True, slots=True)
class CcoDescription:
    """A contact closure output: a module's own (O1, O2, output `CCO_OUTPUT`), or a CCO zone an area lists (LP15)."""

    integration_id: int
    name: str
    cco_type: CcoType = CcoType.MAINTAINED
    pulse_seconds: float = DEFAULT_PULSE_SECONDS
    number: int = CCO_OUTPUT  # 1..n on the device

    control_type: ClassVar[ControlType] = ControlType.CCO


type OutputDescription = ZoneDescription | CcoDescription


@dataclass(frozen=True, slots=True)
class InputDescription:
    """An input of a device: what it senses, numbered on its device."""

    number: int
    input_type: InputType
    name: str


# A module's inputs: its contact closure input.
MODULE_INPUTS: Final = (InputDescription(CCI_INPUT, InputType.CCI, "CCI"),)


@dataclass(frozen=True, slots=True)
class IndicatorDescription:
    """An indicator of a device (a LED), numbered on its device; keypad LEDs come next."""

    number: int
    name: str


@dataclass(frozen=True, slots=True)
class DeviceDescription:
    """One device of a system: who it is, where it sits, and what it has.

    - identity: `serial` (the hardware's serial where it has one, else a stable id the processor gives: an area
      group is `<processor serial>-area-<area id>`), `integration_id` (its id at the processor), `kind`, `model`;
    - placement: `area`, and its `link` and `address` (0 where not reported: LEAP, LP17);
    - what it has: `outputs` (each with a `control_type`, numbered 1..n), `inputs`, `indicators`, and the
      `capabilities` (diagnostics, simulation) it supports.

    A switching module (`switching_module`) is four switched outputs, its own CCO (output `CCO_OUTPUT`), a CCI
    input and every capability; an area group is the outputs an area lists, with only `Capability.ZONES`.
    """

    serial: str
    integration_id: int
    name: str
    area: str
    outputs: tuple[OutputDescription, ...]
    kind: DeviceKind = DeviceKind.SWITCHING_MODULE
    link: int = 0  # 1 or 2; 0 where not reported (LEAP, LP17)
    address: int = 0  # 1..99 on its link; 0 where not reported (LEAP)
    inputs: tuple[InputDescription, ...] = ()
    indicators: tuple[IndicatorDescription, ...] = ()
    capabilities: frozenset[Capability] = MODULE_CAPABILITIES
    cci_group: str | None = None  # C7: modules of one group share one override contact
    feed: str | None = None  # M4: modules fed through from one mains feed

    # Derived once: the switched outputs, the device's own CCO (with `Capability.CCO`: its last output); the
    # outputs by their stable keys on first use (only Home Assistant's switches look them up).
    zones: tuple[ZoneDescription, ...] = field(init=False, repr=False, compare=False)
    own_cco: CcoDescription | None = field(init=False, repr=False, compare=False)
    _by_key: dict[str, OutputDescription] | None = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Find the switched outputs and the device's own CCO."""
        outputs = self.outputs
        last = outputs[-1] if outputs else None
        own = (
            last
            if isinstance(last, CcoDescription) and Capability.CCO in self.capabilities
            else None
        )
        zones = tuple(
            output for output in outputs if isinstance(output, ZoneDescription)
        )
        object.__setattr__(self, "zones", zones)
        object.__setattr__(self, "own_cco", own)
        object.__setattr__(self, "_by_key", None)

    @property
    def model(self) -> str | None:
        """The device's model number, where it is known."""
        return MODULE_MODEL if self.kind is DeviceKind.SWITCHING_MODULE else None

    @property
    def serial_number(self) -> str | None:
        """The hardware's serial number; None where `serial` is an id the processor gives (an area group)."""
        return self.serial if self.kind is DeviceKind.SWITCHING_MODULE else None

    @property
    def room(self) -> str | None:
        """The area the device sits in; None where none is known (a module's default area is its own name)."""
        if not self.area or (
            self.kind is DeviceKind.SWITCHING_MODULE and self.area == self.name
        ):
            return None
        return self.area

    @property
    def cco(self) -> CcoDescription:
        """The device's own CCO (`Capability.CCO`); `UnknownObjectError` when it has none."""
        if self.own_cco is None:
            raise UnknownObjectError(f"{self.name} has no CCO of its own")
        return self.own_cco

    @property
    def numbered_outputs(self) -> bool:
        """Whether each output keeps its number for good (a module's); else outputs are known by their ids."""
        return self.kind is DeviceKind.SWITCHING_MODULE

    def zone(self, number: int) -> ZoneDescription:
        """Return switched output `number` (1..4 on a module)."""
        output = self.outputs[number - 1]
        if not isinstance(output, ZoneDescription):
            raise UnknownObjectError(f"Output {number} of {self.name} is not a zone")
        return output

    def output(self, number: int) -> OutputDescription:
        """Return output `number` (1..n); `UnknownObjectError` if there is none."""
        if 1 <= number <= len(self.outputs):
            return self.outputs[number - 1]
        raise UnknownObjectError(f"{self.name} has no output {number}")

    def output_key(self, output: OutputDescription) -> str:
        """Return the output's stable key on its device: its number on a module (`zone_<n>`, `cco`), else its id."""
        if output is self.own_cco:
            return "cco"
        if self.numbered_outputs:
            return f"zone_{output.number}"
        return f"zone_{output.integration_id}"

    def with_outputs(
        self,
        *,
        zones: tuple[ZoneDescription, ...] | None = None,
        cco: CcoDescription | None = None,
    ) -> DeviceDescription:
        """Return the module with its zones, its own CCO, or both replaced (the CCO stays its last output)."""
        zones = self.zones if zones is None else zones
        own = self.cco if cco is None else cco
        if own.number != len(zones) + 1:
            own = replace(own, number=len(zones) + 1)
        return replace(self, outputs=(*zones, own))

    def output_by_key(self, key: str) -> OutputDescription:
        """Return the output with this stable key (`output_key`); `UnknownObjectError` when it is gone."""
        by_key = self._by_key
        if by_key is None:
            by_key = {self.output_key(output): output for output in self.outputs}
            object.__setattr__(self, "_by_key", by_key)
        try:
            return by_key[key]
        except KeyError:
            raise UnknownObjectError(f"{self.name} has no output {key}") from None


def switching_module(
    serial: str,
    integration_id: int,
    name: str,
    area: str,
    *,
    zones: tuple[ZoneDescription, ...],
    cco: CcoDescription,
    link: int = 0,
    address: int = 0,
    cci_group: str | None = None,
    feed: str | None = None,
) -> DeviceDescription:
    """Describe an LQSE-4S8-120-D: its four zones, its own CCO (output `CCO_OUTPUT`), its CCI and every capability."""
    if cco.number != len(zones) + 1:
        cco = replace(cco, number=len(zones) + 1)
    return DeviceDescription(
        serial=serial,
        integration_id=integration_id,
        name=name,
        area=area,
        outputs=(*zones, cco),
        kind=DeviceKind.SWITCHING_MODULE,
        link=link,
        address=address,
        inputs=MODULE_INPUTS,
        capabilities=MODULE_CAPABILITIES,
        cci_group=cci_group,
        feed=feed,
    )


@dataclass(frozen=True, slots=True)
class OutputRef:
    """What an OUTPUT integration id names: output `zone` of a device, or a module's own CCO (zone None)."""

    device: DeviceDescription
    zone: int | None

    @property
    def serial(self) -> str:
        """The serial of the device that holds the output."""
        return self.device.serial


@dataclass(frozen=True, slots=True)
class LinkDescription:
    """A processor link (P2, P3)."""

    number: int
    link_type: LinkType = LinkType.QS
    cable_length_m: float | None = (
        None  # L1: total QS link cable, at most 610 m (2000 ft); None if unknown
    )


@dataclass(frozen=True, slots=True)
class ProcessorDescription:
    """The HomeWorks QSX processor (P1)."""

    serial: str
    model: ProcessorModel = ProcessorModel.HQP7_2
    name: str = "HomeWorks QSX processor"
    firmware: str = "22.08.14f000"
    integration_id: int = 1
    mac: str | None = (
        None  # as the processor reports it (LEAP, LP11); None where unknown
    )


def default_guid(processor_serial: str) -> str:
    """Return the default project GUID of a system whose processor has this serial (stable for a processor)."""
    return str(
        uuid.UUID(
            bytes=hashlib.sha256(f"guid:{processor_serial}".encode()).digest()[:16]
        )
    )


@dataclass(frozen=True, slots=True)
class SystemDescription:
    """A whole installation: one processor, its links and its devices.

    `devices` holds every device but the processor; `modules` is its switching modules (the only devices of the
    emulator and of a system read over LIP; LEAP adds area groups, LP16).
    """

    name: str
    guid: str
    processor: ProcessorDescription
    links: tuple[LinkDescription, ...]
    devices: tuple[DeviceDescription, ...] = ()
    database_date: str = (
        "01/01/2026,00:00:00"  # `?SYSTEM,10` answer: MM/DD/YYYY,HH:MM:SS
    )

    # The one index of the system (L3: one namespace of integration ids), built once per description: entities
    # look their device up on every state write, and both protocols resolve ids on every report and command.
    modules: tuple[DeviceDescription, ...] = field(
        init=False, repr=False, compare=False
    )
    _by_serial: dict[str, DeviceDescription] = field(
        init=False, repr=False, compare=False
    )
    _by_integration_id: dict[int, DeviceDescription] = field(
        init=False, repr=False, compare=False
    )
    _outputs: dict[int, OutputRef] = field(init=False, repr=False, compare=False)
    _cci_groups: dict[str, tuple[str, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Index the devices by serial, integration id and CCI group, and the outputs by integration id."""
        by_id: dict[int, DeviceDescription] = {}
        outputs: dict[int, OutputRef] = {}
        groups: dict[str, list[str]] = {}
        for device in self.devices:
            by_id.setdefault(device.integration_id, device)
            for output in device.outputs:
                outputs[output.integration_id] = OutputRef(
                    device, None if output is device.own_cco else output.number
                )
            if device.cci_group is not None:
                groups.setdefault(device.cci_group, []).append(device.serial)
        index = {
            "modules": tuple(
                device
                for device in self.devices
                if device.kind is DeviceKind.SWITCHING_MODULE
            ),
            "_by_serial": {device.serial: device for device in self.devices},
            "_by_integration_id": by_id,
            "_outputs": outputs,
            "_cci_groups": {name: tuple(serials) for name, serials in groups.items()},
        }
        for name, value in index.items():
            object.__setattr__(self, name, value)

    def device(self, serial: str) -> DeviceDescription:
        """Return the device with this serial (or stable id); `UnknownObjectError` if there is none."""
        try:
            return self._by_serial[serial]
        except KeyError:
            raise UnknownObjectError(f"No device has serial {serial}") from None

    def device_by_integration_id(self, integration_id: int) -> DeviceDescription:
        """Return the device with this DEVICE integration id; `UnknownObjectError` if none."""
        try:
            return self._by_integration_id[integration_id]
        except KeyError:
            raise UnknownObjectError(
                f"No device has integration id {integration_id}"
            ) from None

    def output(self, integration_id: int) -> OutputRef | None:
        """Return the output this OUTPUT integration id names, or None."""
        return self._outputs.get(integration_id)

    def output_by_integration_id(self, integration_id: int) -> OutputRef:
        """Return the output this OUTPUT integration id names; `UnknownObjectError` if none."""
        target = self._outputs.get(integration_id)
        if target is None:
            raise UnknownObjectError(f"No output has integration id {integration_id}")
        return target

    def integration_id_info(self, integration_id: int) -> tuple[IntegrationIdKind, str]:
        """Say what an integration id names (L3): (DEVICE or OUTPUT, serial of the device that holds it).

        The processor is a DEVICE with its own serial. `UnknownObjectError` if nothing has this id.
        """
        if integration_id == self.processor.integration_id:
            return IntegrationIdKind.DEVICE, self.processor.serial
        if (device := self._by_integration_id.get(integration_id)) is not None:
            return IntegrationIdKind.DEVICE, device.serial
        if (target := self._outputs.get(integration_id)) is not None:
            return IntegrationIdKind.OUTPUT, target.device.serial
        raise UnknownObjectError(f"Nothing has integration id {integration_id}")

    def cci_group(self, name: str) -> tuple[str, ...]:
        """Return the serials of the modules sharing the override contact `name` (C7), in description order."""
        return self._cci_groups.get(name, ())


@dataclass(slots=True)
class ZoneState:
    """Dynamic state of one output numbered among the zones (a switched zone, or a CCO zone an area lists)."""

    on: bool = False
    relay_operations: int | None = (
        0  # M5; None where the backend cannot know it (live processor)
    )


@dataclass(slots=True)
class DeviceState:
    """Dynamic state of one device, read and changed by output, with what a user sees derived from it.

    `zones` holds one state per output but the device's own CCO, whose contact is `cco_closed`; the rest is a
    module's (M7–M13, C1–C8, O1–O3), left at its defaults (or None) where a backend cannot know it.
    """

    zones: list[ZoneState] = field(
        default_factory=lambda: [ZoneState() for _ in range(ZONES_PER_MODULE)]
    )
    cci_open: bool = False  # C1: the factory jumper keeps it closed
    override_active: bool = False
    cco_closed: bool = False
    powered: bool = True
    link_up: bool = True
    bypass: bool = False
    program_mode: bool = False
    temperature_c: float | None = (
        DEFAULT_TEMPERATURE_C  # None where the backend cannot know it
    )
    zone_leds: list[LedState] = field(
        default_factory=lambda: [LedState.OFF] * ZONES_PER_MODULE
    )
    prog_led: LedState = LedState.ON

    def output_on(self, number: int) -> bool:
        """Whether output `number` is on (closed, for a CCO)."""
        if number <= len(self.zones):
            return self.zones[number - 1].on
        return self.cco_closed

    def set_output_on(self, number: int, on: bool) -> bool:
        """Set output `number` on or off (closed or open); returns whether it changed."""
        if number <= len(self.zones):
            zone = self.zones[number - 1]
            if zone.on == on:
                return False
            zone.on = on
            return True
        if self.cco_closed == on:
            return False
        self.cco_closed = on
        return True

    @property
    def mode(self) -> OperatingMode:
        """The most significant condition of the module."""
        if not self.powered:
            return OperatingMode.NO_POWER
        if self.bypass:
            return OperatingMode.BYPASS
        if self.override_active:
            return OperatingMode.MANUAL_OVERRIDE
        if not self.link_up:
            return OperatingMode.NO_LINK
        if self.program_mode:
            return OperatingMode.PROGRAM
        return OperatingMode.NORMAL

    @property
    def ignored_reason(self) -> IgnoredReason | None:
        """Why the module would ignore a command from the processor now, or None if it would obey."""
        if not self.powered:
            return IgnoredReason.NO_POWER
        if self.bypass:
            return IgnoredReason.BYPASS
        if self.override_active:
            return IgnoredReason.MANUAL_OVERRIDE
        if not self.link_up:
            return IgnoredReason.NO_LINK
        return None

    @property
    def high_temperature(self) -> bool | None:
        """M12: the module is at or above its calibration point."""
        if self.temperature_c is None:
            return None
        return self.temperature_c >= HIGH_TEMPERATURE_C

    def zone_feeds_load(self, number: int) -> bool:
        """Whether zone `number` (1..4) feeds its load: powered and on (M6), or bypassed (M13)."""
        if not self.powered:
            return False
        # M13: with the bypass jumper, loads are fed straight from mains.
        return self.bypass or self.zones[number - 1].on

    def load_current(self, module: DeviceDescription) -> float:
        """Return the current drawn by the zones that feed their loads (M3, M6, M13)."""
        if not self.powered:
            return 0.0
        # fsum: a float also when no zone is on, so 0 A always reads "0.0", not "0" one time and "0.0" the next.
        return round(
            math.fsum(
                zone.amps for zone in module.zones if self.zone_feeds_load(zone.number)
            ),
            3,
        )


def new_device_state(device: DeviceDescription, *, live: bool = False) -> DeviceState:
    """Return the state of `device` before anything is known: one zone state per output but its own CCO.

    `live`: the state a live processor fills, where what it cannot tell (relay counts, temperature) is None.
    """
    zones = len(device.outputs) - (1 if device.own_cco is not None else 0)
    if not live:
        return DeviceState(zones=[ZoneState() for _ in range(zones)])
    return DeviceState(
        zones=[ZoneState(relay_operations=None) for _ in range(zones)],
        temperature_c=None,
    )
