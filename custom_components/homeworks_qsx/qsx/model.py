"""The shape of a HomeWorks QSX system: its description (static) and its state (dynamic).

Both backends (the emulator and the network client) expose a system through these classes, so code above the
library cannot tell them apart. Descriptions are frozen; states are mutated only by their backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

from .const import (
    DEFAULT_PULSE_SECONDS,
    DEFAULT_TEMPERATURE_C,
    HIGH_TEMPERATURE_C,
    MAINS_VOLTAGE,
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


@dataclass(frozen=True, slots=True)
class ZoneDescription:
    """One switched output of a module (M1, M3)."""

    number: int  # 1..4 on the module
    integration_id: int
    name: str
    load_type: LoadType = LoadType.INCANDESCENT
    amps: float = 0.0  # current drawn when on
    override_level: OverrideLevel = OverrideLevel.ON  # C2

    @property
    def watts(self) -> float:
        """Load in watts at the module's mains voltage."""
        return round(self.amps * MAINS_VOLTAGE, 1)


@dataclass(frozen=True, slots=True)
class CcoDescription:
    """The contact closure output of a module (O1, O2)."""

    integration_id: int
    name: str
    cco_type: CcoType = CcoType.MAINTAINED
    pulse_seconds: float = DEFAULT_PULSE_SECONDS


@dataclass(frozen=True, slots=True)
class ModuleDescription:
    """An LQSE-4S8-120-D switching power module on a processor link (M2, L3)."""

    serial: str  # 8 upper-case hexadecimal digits
    integration_id: int
    name: str
    area: str
    link: int  # 1 or 2; 0 where not reported (LEAP, LP17)
    address: int  # 1..99 on its link; 0 where not reported (LEAP)
    zones: tuple[ZoneDescription, ...]
    cco: CcoDescription
    cci_group: str | None = None  # C7: modules of one group share one override contact
    feed: str | None = None  # M4: modules fed through from one mains feed

    def zone(self, number: int) -> ZoneDescription:
        """Return zone `number` (1..4)."""
        return self.zones[number - 1]


@dataclass(frozen=True, slots=True)
class OutputRef:
    """What an OUTPUT integration id names: a zone (1..4) of a module, or its CCO (zone None)."""

    module: ModuleDescription
    zone: int | None

    @property
    def serial(self) -> str:
        """The serial of the module that holds the output."""
        return self.module.serial


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


@dataclass(frozen=True, slots=True)
class GroupZoneDescription:
    """One output of an area group: a switched zone, or a contact closure output (`is_cco`)."""

    number: int  # 1..n within the group
    integration_id: int  # the zone's LEAP id
    name: str
    is_cco: bool = False  # LP15: on = closed
    is_light: bool = True  # LP14: the zone's Category.IsLight


@dataclass(frozen=True, slots=True)
class AreaGroupDescription:
    """The switched and CCO zones of one area whose modules the processor does not identify (LEAP, LP16).

    A real QSX (firmware 22) lists its enclosure-mounted power modules anonymously: which zone belongs to which
    module is unknown, so the zones are grouped by area, one group per area, named after it. A group behaves as a
    module towards the backend: `serial` keys its state (`module_state`), its events and its commands
    (`async_set_zone(serial, number, on)` drives a switched zone or a CCO zone alike); it has no CCO of its own,
    no buttons and no LEDs. `serial` is `<processor serial>-area-<area id>`: stable for a project, unique across
    processors.
    """

    serial: str
    integration_id: int  # the area's LEAP id
    name: str  # the area's name
    area: str
    zones: tuple[GroupZoneDescription, ...]

    def zone(self, number: int) -> GroupZoneDescription:
        """Return output `number` (1..n)."""
        return self.zones[number - 1]


@dataclass(frozen=True, slots=True)
class SystemDescription:
    """A whole installation: one processor, its links and the modules on them.

    `groups` holds area groups (LEAP, LP16), empty for systems described by LIP or for the emulator.
    """

    name: str
    guid: str
    processor: ProcessorDescription
    links: tuple[LinkDescription, ...]
    modules: tuple[ModuleDescription, ...] = ()
    database_date: str = (
        "01/01/2026,00:00:00"  # `?SYSTEM,10` answer: MM/DD/YYYY,HH:MM:SS
    )
    groups: tuple[AreaGroupDescription, ...] = ()

    # The one index of the system (L3: one namespace of integration ids), built once per description: entities
    # look their module up on every state write, and both protocols resolve ids on every report and command.
    _modules_by_serial: dict[str, ModuleDescription] = field(
        init=False, repr=False, compare=False
    )
    _devices: dict[int, ModuleDescription] = field(
        init=False, repr=False, compare=False
    )
    _outputs: dict[int, OutputRef] = field(init=False, repr=False, compare=False)
    _cci_groups: dict[str, tuple[str, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Index the modules by serial, integration id and CCI group, and the outputs by integration id."""
        devices: dict[int, ModuleDescription] = {}
        outputs: dict[int, OutputRef] = {}
        groups: dict[str, list[str]] = {}
        for module in self.modules:
            devices[module.integration_id] = module
            for zone in module.zones:
                outputs[zone.integration_id] = OutputRef(module, zone.number)
            outputs[module.cco.integration_id] = OutputRef(module, None)
            if module.cci_group is not None:
                groups.setdefault(module.cci_group, []).append(module.serial)
        index = {
            "_modules_by_serial": {module.serial: module for module in self.modules},
            "_devices": devices,
            "_outputs": outputs,
            "_cci_groups": {name: tuple(serials) for name, serials in groups.items()},
        }
        for name, value in index.items():
            object.__setattr__(self, name, value)

    def module(self, serial: str) -> ModuleDescription:
        """Return the module with this serial; `UnknownObjectError` if there is none."""
        try:
            return self._modules_by_serial[serial]
        except KeyError:
            raise UnknownObjectError(f"No module has serial {serial}") from None

    def module_by_integration_id(self, integration_id: int) -> ModuleDescription:
        """Return the module with this DEVICE integration id; `UnknownObjectError` if none."""
        try:
            return self._devices[integration_id]
        except KeyError:
            raise UnknownObjectError(
                f"No module has integration id {integration_id}"
            ) from None

    def output(self, integration_id: int) -> OutputRef | None:
        """Return the zone or CCO this OUTPUT integration id names, or None."""
        return self._outputs.get(integration_id)

    def output_by_integration_id(self, integration_id: int) -> OutputRef:
        """Return the zone or CCO this OUTPUT integration id names; `UnknownObjectError` if none."""
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
        if (module := self._devices.get(integration_id)) is not None:
            return IntegrationIdKind.DEVICE, module.serial
        if (target := self._outputs.get(integration_id)) is not None:
            return IntegrationIdKind.OUTPUT, target.module.serial
        raise UnknownObjectError(f"Nothing has integration id {integration_id}")

    def cci_group(self, name: str) -> tuple[str, ...]:
        """Return the serials of the modules sharing the override contact `name` (C7), in description order."""
        return self._cci_groups.get(name, ())

    def group(self, serial: str) -> AreaGroupDescription:
        """Return the area group with this serial; KeyError if there is none."""
        for group in self.groups:
            if group.serial == serial:
                return group
        raise KeyError(serial)


@dataclass(slots=True)
class ZoneState:
    """Dynamic state of one zone."""

    on: bool = False
    relay_operations: int | None = (
        0  # M5; None where the backend cannot know it (live processor)
    )


@dataclass(slots=True)
class ModuleState:
    """Dynamic state of one module, with what a user sees derived from it (M7–M13, C1–C8, O1–O3)."""

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

    def load_current(self, module: ModuleDescription) -> float:
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
