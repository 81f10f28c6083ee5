"""Electrical power and energy of switching modules: loads × state (M3, M6, M13).

A zone's load is known from the system description (watts, or amps at the module's mains voltage, see
`ZoneDescription.watts`) or is given by the user; a load of 0 W means unknown (a live processor whose database
says `Wattage="0"`, or a system whose zones carry no load at all). Zones are on or off, so the power of a module
is a step function of time, and `EnergyMeter` integrates it exactly at each step: no sampling, no rounding until
the value is read.
"""

from __future__ import annotations

from collections.abc import Mapping
import datetime as dt
import math

from .model import DeviceDescription, DeviceState

type Loads = tuple[float | None, ...]
"""Load in watts of each zone of a module (zone 1 first); None where it is unknown."""

JOULES_PER_KWH = 3_600_000.0


def known_load(watts: float | None) -> float | None:
    """Return `watts` as a load, or None when it tells nothing (missing, zero or negative)."""
    if watts is None or watts <= 0:
        return None
    return float(watts)


def module_loads(
    module: DeviceDescription, overrides: Mapping[int, float] | None = None
) -> Loads:
    """Return each zone's load: the override given for the zone number, else the description's."""
    overrides = overrides or {}
    return tuple(
        known_load(overrides.get(zone.number, zone.watts)) for zone in module.zones
    )


def has_known_load(loads: Loads) -> bool:
    """Whether at least one zone's load is known."""
    return any(watts is not None for watts in loads)


def zone_power(state: DeviceState, number: int, watts: float | None) -> float:
    """Return the power in watts drawn through zone `number` (1..4); 0 where its load is unknown."""
    if watts is None or not state.zone_feeds_load(number):
        return 0.0
    return watts


def module_power(state: DeviceState, loads: Loads) -> float:
    """Return the power in watts drawn through the zones of a module whose loads are known."""
    return sum(
        (
            zone_power(state, number, watts)
            for number, watts in enumerate(loads, start=1)
        ),
        0.0,
    )


class EnergyMeter:
    """The exact integral of a power that changes in steps; it never decreases.

    `set_power` is called at every step with the time of the step; between steps the power is constant. A power
    of None means it is unknown (the connection is lost): nothing is counted until a power is known again. Time
    going backwards (a clock set back) counts nothing.
    """

    __slots__ = ("_joules", "_since", "_watts")

    def __init__(self, kwh: float = 0.0) -> None:
        """Start at `kwh` (a restored reading; a negative or non-finite one starts from 0)."""
        self._joules = kwh * JOULES_PER_KWH if math.isfinite(kwh) and kwh > 0 else 0.0
        self._watts: float | None = None
        self._since: dt.datetime | None = (
            None  # counted up to here, while the power is known
        )

    @property
    def watts(self) -> float | None:
        """The power now being integrated; None while it is unknown."""
        return self._watts

    @property
    def counted_until(self) -> dt.datetime | None:
        """The time up to which the energy is counted (when the power last became unknown, while it is)."""
        return self._since

    def _accrue(self, now: dt.datetime) -> None:
        if self._watts is None or self._since is None or now <= self._since:
            return
        self._joules += self._watts * (now - self._since).total_seconds()
        self._since = now

    def set_power(self, now: dt.datetime, watts: float | None) -> None:
        """Count the power held so far up to `now`, then hold `watts` (None: unknown) from `now` on."""
        self._accrue(now)
        if watts is not None and (self._watts is None or self._since is None):
            self._since = now  # known again: counting starts now
        self._watts = None if watts is None else max(watts, 0.0)

    def add(self, watts: float, start: dt.datetime, end: dt.datetime) -> None:
        """Count `watts` held from `start` to `end`, a period the meter did not see; nothing if `end` <= `start`."""
        if watts > 0 and end > start:
            self._joules += watts * (end - start).total_seconds()

    def kwh(self, now: dt.datetime) -> float:
        """Return the energy counted up to `now`, in kWh."""
        self._accrue(now)
        return self._joules / JOULES_PER_KWH
