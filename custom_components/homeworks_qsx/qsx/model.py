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
    KeypadType,
    LedState,
    LinkType,
    LoadType,
    OccupancySensorType,
    OperatingMode,
    OverrideLevel,
    ProcessorModel,
    ProgrammingModel,
)
from .errors import UnknownObjectError


class DeviceKind(StrEnum):
    """What a device is; its outputs, inputs, indicators and capabilities say what it has."""

    SWITCHING_MODULE = "switching_module"  # an LQSE-4S8-120-D (M1–M13, C1–C8, O1–O3)
    DIMMING_MODULE = (
        "dimming_module"  # a QS dimming power module: dimmed outputs (LP24–LP28)
    )
    SHADE = "shade"  # a QS shade: one shade output (LP30–LP33)
    KEYPAD = "keypad"  # a wallstation or the processor's virtual keypad: buttons and LEDs (LP34–LP42)
    OCCUPANCY_SENSOR = (
        "occupancy_sensor"  # one occupancy input: its area's occupancy (LP43–LP44)
    )
    TIMECLOCK = "timeclock"  # a processor timeclock: enabled or not, with its events (LP45–LP46)
    AREA_GROUP = (
        "area_group"  # LEAP (LP16): the zones an area lists without their device
    )


class ControlType(StrEnum):
    """How an output is driven (LP14, LP15, LP24, LP30)."""

    SWITCHED = "switched"  # on or off
    CCO = "cco"  # a dry contact: closed or open
    DIMMED = "dimmed"  # a level 0..100 with a fade (LP24–LP28)
    SHADE = "shade"  # a level 0..100, the percent open (LP30)
    SHADE_WITH_TILT = (
        "shade_with_tilt"  # a shade's level and a tilt 0..100 (LP30, LP33)
    )


# Outputs whose state is a level (0..100), not just on or off.
LEVEL_CONTROL_TYPES: Final = frozenset(
    {ControlType.DIMMED, ControlType.SHADE, ControlType.SHADE_WITH_TILT}
)
SHADE_CONTROL_TYPES: Final = frozenset({ControlType.SHADE, ControlType.SHADE_WITH_TILT})


class InputType(StrEnum):
    """What an input senses."""

    CCI = "cci"  # the contact closure input (override contact, C1)
    BUTTON = "button"  # a keypad button (LP36)
    OCCUPANCY = "occupancy"  # an occupancy sensor (LP43)


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
    LEVELS = "levels"  # dimmed and shade outputs: set and read levels, fades, tilt, shade moves
    KEYPAD = "keypad"  # keypad buttons: hear their events, press them (LP38, LP40)
    INDICATORS = "indicators"  # keypad LEDs: read and set them (LP41, LP42)
    OCCUPANCY = "occupancy"  # an area's occupancy (LP43)
    TIMECLOCK = "timeclock"  # enable and disable a timeclock (LP45, LP46)


# A switching module has every module capability; an area group only its zones (LP16: LEAP says nothing else).
MODULE_CAPABILITIES: Final = frozenset(
    {
        Capability.ZONES,
        Capability.CCO,
        Capability.CCO_PULSE,
        Capability.CCO_TYPE,
        Capability.BUTTONS,
        Capability.CCI,
        Capability.LEDS,
        Capability.MODE,
        Capability.TEMPERATURE,
        Capability.RELAY_COUNTS,
        Capability.LOAD_CURRENT,
        Capability.LINK_ADDRESS,
        Capability.SIMULATION,
    }
)
AREA_GROUP_CAPABILITIES: Final = frozenset({Capability.ZONES, Capability.LEVELS})
DIMMING_MODULE_CAPABILITIES: Final = frozenset(
    {Capability.LEVELS, Capability.LINK_ADDRESS, Capability.SIMULATION}
)
SHADE_CAPABILITIES: Final = frozenset(
    {Capability.LEVELS, Capability.LINK_ADDRESS, Capability.SIMULATION}
)
KEYPAD_CAPABILITIES: Final = frozenset(
    {
        Capability.KEYPAD,
        Capability.INDICATORS,
        Capability.LINK_ADDRESS,
        Capability.SIMULATION,
    }
)
OCCUPANCY_SENSOR_CAPABILITIES: Final = frozenset(
    {Capability.OCCUPANCY, Capability.SIMULATION}
)
TIMECLOCK_CAPABILITIES: Final = frozenset({Capability.TIMECLOCK})
# Kinds with no serial number of their own: `serial` is then an id the processor gives.
KINDS_WITHOUT_SERIAL: Final = frozenset({DeviceKind.AREA_GROUP, DeviceKind.TIMECLOCK})
CCO_OUTPUT: Final = (
    ZONES_PER_MODULE + 1
)  # a module's own CCO is its fifth output, after its four zones
CCI_INPUT: Final = 1  # a module's one input


@dataclass(frozen=True, slots=True)
class ZoneDescription:
    """A zone: switched (M1, M3; LP14), dimmed (LP24) or a shade (LP30), of a module, a shade or an area."""

    number: int  # 1..n on the device
    integration_id: int
    name: str
    load_type: LoadType = LoadType.INCANDESCENT
    amps: float = 0.0  # current drawn when on (at full level)
    override_level: OverrideLevel = OverrideLevel.ON  # C2
    is_light: bool = True  # LP14: the zone's Category.IsLight
    control_type: ControlType = ControlType.SWITCHED

    @property
    def has_level(self) -> bool:
        """Whether the zone's state is a level 0..100 (dimmed, shade), not just on or off."""
        return self.control_type in LEVEL_CONTROL_TYPES

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
    """An input of a device: what it senses, numbered on its device.

    A keypad button is numbered by its physical position (LP36 `ButtonNumber`: a two-button keypad has 1 and 4), and
    carries its id at the processor (LEAP `/button/<id>`), its engraving and its programming.
    """

    number: int
    input_type: InputType
    name: str
    integration_id: int = 0  # its id at the processor; 0 where none is known
    engraving: str = ""
    programming: ButtonProgramming | None = None


# A module's inputs: its contact closure input.
MODULE_INPUTS: Final = (InputDescription(CCI_INPUT, InputType.CCI, "CCI"),)


@dataclass(frozen=True, slots=True)
class ButtonProgramming:
    """What pressing a keypad button does (LP36, LP42).

    `model` is all a live processor tells; the emulator also holds the targets: `(output integration id, level)`
    pairs (a scene for single action and toggle, the zones to raise or lower, the shade zone to open and close).
    """

    model: ProgrammingModel
    targets: tuple[tuple[int, float], ...] = ()


class TimeclockEventType(StrEnum):
    """When a timeclock event runs (LP45, LP46); the values are LEAP's."""

    FIXED_TIME = "FixedTime"  # at `time_of_day`
    SUNRISE = "Sunrise"  # astronomic, `offset_minutes` after sunrise
    SUNSET = "Sunset"  # astronomic, `offset_minutes` after sunset


@dataclass(frozen=True, slots=True)
class TimeclockEventDescription:
    """One event of a timeclock: when it runs, on which days, and what it sets (as a button's targets)."""

    number: int  # 1..n on its timeclock
    name: str
    event_type: TimeclockEventType
    time_of_day: tuple[int, int, int] = (
        0,
        0,
        0,
    )  # (hour, minute, second) of a FIXED_TIME event
    offset_minutes: int = 0  # of an astronomic event
    days: tuple[bool, bool, bool, bool, bool, bool, bool] = (
        True,
    ) * 7  # Sunday..Saturday
    integration_id: int = 0  # its id at the processor (LEAP `/timeclockevent/<id>`)
    targets: tuple[tuple[int, float], ...] = ()  # (output integration id, level)


@dataclass(frozen=True, slots=True)
class IndicatorDescription:
    """An indicator of a device (a keypad LED), numbered as the button it belongs to (LP36: `AssociatedLED`)."""

    number: int
    name: str
    integration_id: int = (
        0  # its id at the processor (LEAP `/led/<id>`); 0 where none is known
    )


@dataclass(frozen=True, slots=True)
class DeviceDescription:
    """One device of a system: who it is, where it sits, and what it has.

    - identity: `serial` (the hardware's serial where it has one, else a stable id the processor gives: an area
      group is `<processor serial>-area-<area id>`), `integration_id` (its id at the processor), `kind`, `model`;
    - placement: `area`, and its `link` and `address` (0 where not reported: LEAP, LP17);
    - what it has: `outputs` (each with a `control_type`, numbered 1..n), `inputs`, `indicators`, and the
      `capabilities` (diagnostics, simulation) it supports.

    A switching module (`switching_module`) is four switched outputs, its own CCO (output `CCO_OUTPUT`), a CCI
    input and every module capability; a dimming module four dimmed outputs; a shade one shade output; a keypad
    buttons (inputs numbered by position) and their LEDs (indicators numbered as their buttons); an occupancy
    sensor one occupancy input; a timeclock only its `schedule`; an area group the outputs an area lists.
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
    model_number: str | None = (
        None  # where the kind has no fixed model (a switching module's is MODULE_MODEL)
    )
    has_serial_number: bool = (
        True  # False where `serial` is an id the processor gives (a virtual keypad)
    )
    schedule: tuple[TimeclockEventDescription, ...] = ()  # a timeclock's events
    device_type: str | None = (
        None  # its LEAP `DeviceType` where the kind has several: a `KeypadType`, an `OccupancySensorType`
    )
    processor: str | None = (
        None  # serial of the processor whose link it sits on (P4, LP53); None: the system's first processor
    )

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
        if self.model_number is not None:
            return self.model_number
        return MODULE_MODEL if self.kind is DeviceKind.SWITCHING_MODULE else None

    @property
    def serial_number(self) -> str | None:
        """The hardware's serial number; None where `serial` is an id the processor gives (an area group)."""
        if self.kind in KINDS_WITHOUT_SERIAL or not self.has_serial_number:
            return None
        return self.serial

    @property
    def buttons(self) -> tuple[InputDescription, ...]:
        """The keypad buttons among the inputs, in position order."""
        return tuple(
            item for item in self.inputs if item.input_type is InputType.BUTTON
        )

    def input(self, number: int) -> InputDescription:
        """Return input `number` (a button's position); `UnknownObjectError` if there is none."""
        for item in self.inputs:
            if item.number == number:
                return item
        raise UnknownObjectError(f"{self.name} has no input {number}")

    def indicator(self, number: int) -> IndicatorDescription:
        """Return indicator `number` (its button's position); `UnknownObjectError` if there is none."""
        for item in self.indicators:
            if item.number == number:
                return item
        raise UnknownObjectError(f"{self.name} has no LED {number}")

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
        """Whether each output keeps its number for good (a device's); an area group's are known by their ids."""
        return self.kind is not DeviceKind.AREA_GROUP

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


def dimming_module(
    serial: str,
    integration_id: int,
    name: str,
    area: str,
    *,
    zones: tuple[ZoneDescription, ...],
    model_number: str,
    link: int = 0,
    address: int = 0,
) -> DeviceDescription:
    """Describe a QS dimming power module: its dimmed zones (control type `DIMMED`)."""
    return DeviceDescription(
        serial=serial,
        integration_id=integration_id,
        name=name,
        area=area,
        outputs=tuple(replace(zone, control_type=ControlType.DIMMED) for zone in zones),
        kind=DeviceKind.DIMMING_MODULE,
        link=link,
        address=address,
        capabilities=DIMMING_MODULE_CAPABILITIES,
        model_number=model_number,
    )


def shade(
    serial: str,
    integration_id: int,
    name: str,
    area: str,
    *,
    zone: ZoneDescription,
    model_number: str,
    link: int = 0,
    address: int = 0,
) -> DeviceDescription:
    """Describe a QS shade: one output whose control type is `SHADE` or `SHADE_WITH_TILT`."""
    if zone.control_type not in SHADE_CONTROL_TYPES:
        zone = replace(zone, control_type=ControlType.SHADE)
    return DeviceDescription(
        serial=serial,
        integration_id=integration_id,
        name=name,
        area=area,
        outputs=(replace(zone, number=1, is_light=False),),
        kind=DeviceKind.SHADE,
        link=link,
        address=address,
        capabilities=SHADE_CAPABILITIES,
        model_number=model_number,
    )


def keypad(
    serial: str,
    integration_id: int,
    name: str,
    area: str,
    *,
    buttons: tuple[InputDescription, ...],
    leds: tuple[IndicatorDescription, ...],
    model_number: str,
    link: int = 0,
    address: int = 0,
    has_serial_number: bool = True,
    device_type: str = KeypadType.SEETOUCH,
) -> DeviceDescription:
    """Describe a keypad of `device_type` (a `KeypadType`): its buttons (inputs of type `BUTTON`) and their LEDs."""
    return DeviceDescription(
        serial=serial,
        integration_id=integration_id,
        name=name,
        area=area,
        outputs=(),
        kind=DeviceKind.KEYPAD,
        link=link,
        address=address,
        inputs=buttons,
        indicators=leds,
        capabilities=KEYPAD_CAPABILITIES,
        model_number=model_number,
        has_serial_number=has_serial_number,
        device_type=device_type,
    )


def occupancy_sensor(
    serial: str,
    integration_id: int,
    name: str,
    area: str,
    *,
    model_number: str,
    device_type: str = OccupancySensorType.OCCUPANCY,
    link: int = 0,
    address: int = 0,
) -> DeviceDescription:
    """Describe an occupancy sensor of `device_type` (an `OccupancySensorType`): one occupancy input, its area's.

    LP43, LP44. An RF sensor sits on a Clear Connect Type A link (`link`, `address`), or on none (0) where the
    system does not say how it is reached.
    """
    return DeviceDescription(
        serial=serial,
        integration_id=integration_id,
        name=name,
        area=area,
        outputs=(),
        kind=DeviceKind.OCCUPANCY_SENSOR,
        link=link,
        address=address,
        inputs=(InputDescription(1, InputType.OCCUPANCY, "Occupancy"),),
        capabilities=OCCUPANCY_SENSOR_CAPABILITIES,
        model_number=model_number,
        device_type=device_type,
    )


def timeclock(
    serial: str,
    integration_id: int,
    name: str,
    *,
    schedule: tuple[TimeclockEventDescription, ...] = (),
) -> DeviceDescription:
    """Describe a processor timeclock and its events (LP45, LP46); `serial` is a stable id the processor gives."""
    return DeviceDescription(
        serial=serial,
        integration_id=integration_id,
        name=name,
        area="",
        outputs=(),
        kind=DeviceKind.TIMECLOCK,
        capabilities=TIMECLOCK_CAPABILITIES,
        schedule=schedule,
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
    processor: str | None = (
        None  # serial of the processor that drives it (P4, LP53); None: the system's first processor
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
    """A whole installation (a project): its processors, their links and its devices.

    `processor` is the first processor (over LEAP: the one connected to, `IsThisDevice:true`); a project with several
    (P4, LP52–LP54) lists the others in `other_processors`, and a link or a device names its processor's serial
    (None: the first). One id space spans the project (L3). `devices` holds every device but the processors;
    `modules` is its switching modules.
    """

    name: str
    guid: str
    processor: ProcessorDescription
    links: tuple[LinkDescription, ...]
    devices: tuple[DeviceDescription, ...] = ()
    database_date: str = (
        "01/01/2026,00:00:00"  # `?SYSTEM,10` answer: MM/DD/YYYY,HH:MM:SS
    )
    other_processors: tuple[ProcessorDescription, ...] = ()  # P4, LP52, LP53

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
    _inputs: dict[int, tuple[DeviceDescription, InputDescription]] = field(
        init=False, repr=False, compare=False
    )
    _indicators: dict[int, tuple[DeviceDescription, IndicatorDescription]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Index the devices by serial, integration id and CCI group, and the outputs by integration id."""
        by_id: dict[int, DeviceDescription] = {}
        outputs: dict[int, OutputRef] = {}
        groups: dict[str, list[str]] = {}
        inputs: dict[int, tuple[DeviceDescription, InputDescription]] = {}
        indicators: dict[int, tuple[DeviceDescription, IndicatorDescription]] = {}
        for device in self.devices:
            if (
                device.kind is not DeviceKind.TIMECLOCK
            ):  # timeclock ids are their own namespace (LP45)
                by_id.setdefault(device.integration_id, device)
            for output in device.outputs:
                outputs[output.integration_id] = OutputRef(
                    device, None if output is device.own_cco else output.number
                )
            for item in device.inputs:
                if item.integration_id:
                    inputs[item.integration_id] = (device, item)
            for indicator in device.indicators:
                if indicator.integration_id:
                    indicators[indicator.integration_id] = (device, indicator)
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
            "_inputs": inputs,
            "_indicators": indicators,
        }
        for name, value in index.items():
            object.__setattr__(self, name, value)

    @property
    def processors(self) -> tuple[ProcessorDescription, ...]:
        """Every processor of the project, the first one first."""
        return (self.processor, *self.other_processors)

    def processor_by_serial(self, serial: str) -> ProcessorDescription:
        """Return the processor with this serial; `UnknownObjectError` if the project has none."""
        for processor in self.processors:
            if processor.serial == serial.upper():
                return processor
        raise UnknownObjectError(f"No processor has serial {serial}")

    def processor_of(
        self, item: DeviceDescription | LinkDescription
    ) -> ProcessorDescription:
        """Return the processor whose link a device sits on, or that drives a link (its first where unnamed)."""
        if item.processor is None:
            return self.processor
        return self.processor_by_serial(item.processor)

    def links_of(self, processor_serial: str) -> tuple[LinkDescription, ...]:
        """Return the links one processor drives, in description order."""
        processor = self.processor_by_serial(processor_serial)
        return tuple(
            link for link in self.links if self.processor_of(link) is processor
        )

    def devices_of(self, processor_serial: str) -> tuple[DeviceDescription, ...]:
        """Return the devices on one processor's links (or attached to it, like its keypad), in description order."""
        processor = self.processor_by_serial(processor_serial)
        return tuple(
            device for device in self.devices if self.processor_of(device) is processor
        )

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
        for processor in self.processors:
            if integration_id == processor.integration_id:
                return IntegrationIdKind.DEVICE, processor.serial
        if (device := self._by_integration_id.get(integration_id)) is not None:
            return IntegrationIdKind.DEVICE, device.serial
        if (target := self._outputs.get(integration_id)) is not None:
            return IntegrationIdKind.OUTPUT, target.device.serial
        raise UnknownObjectError(f"Nothing has integration id {integration_id}")

    def input_by_integration_id(
        self, integration_id: int
    ) -> tuple[DeviceDescription, InputDescription]:
        """Return the device and input (a keypad button) with this id; `UnknownObjectError` if none."""
        try:
            return self._inputs[integration_id]
        except KeyError:
            raise UnknownObjectError(
                f"No button has integration id {integration_id}"
            ) from None

    def indicator_by_integration_id(
        self, integration_id: int
    ) -> tuple[DeviceDescription, IndicatorDescription]:
        """Return the device and indicator (a keypad LED) with this id; `UnknownObjectError` if none."""
        try:
            return self._indicators[integration_id]
        except KeyError:
            raise UnknownObjectError(
                f"No LED has integration id {integration_id}"
            ) from None

    def cci_group(self, name: str) -> tuple[str, ...]:
        """Return the serials of the modules sharing the override contact `name` (C7), in description order."""
        return self._cci_groups.get(name, ())


@dataclass(slots=True)
class ZoneState:
    """Dynamic state of one output numbered among the zones (a switched, dimmed or shade zone, an area's CCO zone).

    A level zone (dimmed, shade) keeps `level` (0..100: brightness, or percent open) and `on` (level above 0) in
    step through `DeviceState.set_output_level`; a switched zone only `on`.
    """

    on: bool = False
    relay_operations: int | None = (
        0  # M5; None where the backend cannot know it (live processor)
    )
    level: float = 0.0
    tilt: float | None = None  # a SHADE_WITH_TILT zone's tilt 0..100
    level_accurate: bool = (
        True  # False while the processor reports `StatusAccuracy: "Bad"` (LP58)
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
    indicators: dict[int, LedState] = field(
        default_factory=dict
    )  # a keypad's LEDs by number
    occupied: bool | None = None  # an occupancy sensor's area; None while unknown
    timeclock_enabled: bool | None = None  # a timeclock; None while unknown

    def output_on(self, number: int) -> bool:
        """Whether output `number` is on (closed, for a CCO)."""
        if number <= len(self.zones):
            return self.zones[number - 1].on
        return self.cco_closed

    def output_level(self, number: int) -> float:
        """Return the level (0..100) of output `number`; 100 or 0 for an output that is only on or off."""
        if number <= len(self.zones):
            zone = self.zones[number - 1]
            if zone.level or not zone.on:
                return zone.level
            return 100.0
        return 100.0 if self.cco_closed else 0.0

    def set_output_level(self, number: int, level: float) -> bool:
        """Set level output `number` to `level` (0..100), and on while above 0; returns whether it changed."""
        zone = self.zones[number - 1]
        on = level > 0
        if zone.level == level and zone.on == on:
            return False
        zone.level = level
        zone.on = on
        return True

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
    tilts = [
        0.0 if output.control_type is ControlType.SHADE_WITH_TILT else None
        for output in device.outputs[:zones]
    ]
    indicators = {indicator.number: LedState.OFF for indicator in device.indicators}
    if not live:
        return DeviceState(
            zones=[ZoneState(tilt=tilt) for tilt in tilts],
            indicators=indicators,
            occupied=False if device.kind is DeviceKind.OCCUPANCY_SENSOR else None,
            timeclock_enabled=True if device.kind is DeviceKind.TIMECLOCK else None,
        )
    return DeviceState(
        zones=[ZoneState(relay_operations=None, tilt=tilt) for tilt in tilts],
        temperature_c=None,
        indicators=indicators,
    )
