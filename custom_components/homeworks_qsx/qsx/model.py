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
    LedState,
    LinkType,
    LoadType,
    OperatingMode,
    OverrideLevel,
    ProcessorModel,
)


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
    link: int  # 1 or 2
    address: int  # 1..99 on its link
    zones: tuple[ZoneDescription, ...]
    cco: CcoDescription
    cci_group: str | None = None  # C7: modules of one group share one override contact
    feed: str | None = None  # M4: modules fed through from one mains feed

    def zone(self, number: int) -> ZoneDescription:
        """Return zone `number` (1..4)."""
        return self.zones[number - 1]


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


@dataclass(frozen=True, slots=True)
class SystemDescription:
    """A whole installation: one processor, its links and the modules on them."""

    name: str
    guid: str
    processor: ProcessorDescription
    links: tuple[LinkDescription, ...]
    modules: tuple[ModuleDescription, ...] = ()
    database_date: str = (
        "01/01/2026,00:00:00"  # `?SYSTEM,10` answer: MM/DD/YYYY,HH:MM:SS
    )

    # Entities look their module up on every state write: index it once per description.
    _modules_by_serial: dict[str, ModuleDescription] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Index the modules by serial."""
        object.__setattr__(
            self,
            "_modules_by_serial",
            {module.serial: module for module in self.modules},
        )

    def module(self, serial: str) -> ModuleDescription:
        """Return the module with this serial; KeyError if there is none."""
        return self._modules_by_serial[serial]


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

    def load_current(self, module: ModuleDescription) -> float:
        """Return the current drawn by the zones that are on (M3, M6); nothing without power."""
        if not self.powered:
            return 0.0
        if self.bypass:  # M13: loads fed straight from mains
            return round(math.fsum(zone.amps for zone in module.zones), 3)
        # fsum: a float also when no zone is on, so 0 A always reads "0.0", not "0" one time and "0.0" the next.
        return round(
            math.fsum(
                z.amps for z, s in zip(module.zones, self.zones, strict=True) if s.on
            ),
            3,
        )
