"""Power and energy sensors of HomeWorks QSX switching modules, zones and the whole system.

Power is computed by the library (`qsx.power`) from the zones that feed their loads and the loads, which come from
the system description or from the entry's options (a watts field per zone, for every backend). Energy is the exact
integral of that power, a step function: it is counted at every change, never sampled. Between changes the sensor
is also written at each boundary of Home Assistant's five-minute statistics periods while power is drawn, so
the Energy dashboard puts the energy in the right hour; those writes compute, they do not poll the system.

Energy survives a restart: the reading and the time up to which it was counted are restored. The time Home
Assistant was down counts only for an emulated system, whose state (stored with the entry) is exactly what it had
when Home Assistant stopped, so the zones that were on stayed on. A lost connection counts nothing while states are
unknown; no sensor is made for a zone whose load is unknown.

A live processor reached over LEAP reports no loads: its modules get these sensors only for the loads the options
give. Its area groups (zones of modules LEAP does not describe one by one) get none: a group's zones are not tied
to one module, and no load can be given for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
import datetime as dt
from typing import Any, Final, override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.util import dt as dt_util

from .const import CONF_ZONE_WATTS, DOMAIN
from .entity import HomeworksQsxDeviceEntity, HomeworksQsxProcessorEntity
from .qsx import (
    ZONES_PER_MODULE,
    Capability,
    DeviceDescription,
    EnergyMeter,
    Event,
    EventKind,
    Loads,
    UnknownObjectError,
    has_known_load,
    module_loads,
    module_power,
    zone_power,
)
from .runtime import HomeworksQsxConfigEntry, HomeworksQsxRuntime

# Home Assistant compiles short-term statistics over five-minute periods.
STATISTICS_PERIOD: Final = dt.timedelta(minutes=5)
# Watts are known to 0.1 W; sums of them are rounded back to that.
POWER_DIGITS: Final = 1
# Energy is shown to the watt-hour; it is kept to the milliwatt-hour so that readings never lose what was counted.
ENERGY_DIGITS: Final = 6

# Events after which a module draws another power: zones switched, power cut or restored, bypass jumper,
# settings (loads) changed.
_POWER_EVENTS: Final = frozenset(
    {
        EventKind.ZONE,
        EventKind.POWER,
        EventKind.BYPASS,
        EventKind.DEVICE_CHANGED,
        EventKind.DEVICE_ADDED,
        EventKind.DEVICE_REMOVED,
    }
)

MODULE_POWER = SensorEntityDescription(
    key="power",
    translation_key="power",
    device_class=SensorDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
)
MODULE_ENERGY = SensorEntityDescription(
    key="energy",
    translation_key="energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=3,
)
SYSTEM_POWER: Final = replace(MODULE_POWER, translation_key="system_power")


def _zone_descriptions(
    number: int,
) -> tuple[SensorEntityDescription, SensorEntityDescription]:
    # Named after the zone (a placeholder each entity fills in), disabled by default: a module has four.
    return (
        replace(
            MODULE_POWER,
            key=f"zone_{number}_power",
            translation_key="zone_power",
            entity_registry_enabled_default=False,
        ),
        replace(
            MODULE_ENERGY,
            key=f"zone_{number}_energy",
            translation_key="zone_energy",
            entity_registry_enabled_default=False,
        ),
    )


# Descriptions of each zone's sensors, made once.
ZONE_DESCRIPTIONS: Final = {
    number: _zone_descriptions(number) for number in range(1, ZONES_PER_MODULE + 1)
}


def _zone_watts(given: Mapping[str, Any]) -> dict[int, float]:
    return {int(number): float(watts) for number, watts in given.items()}


def all_zone_load_overrides(options: Mapping[str, Any]) -> dict[str, dict[int, float]]:
    """Return the loads in watts the options give, by module serial and zone number."""
    return {
        serial: _zone_watts(given)
        for serial, given in options.get(CONF_ZONE_WATTS, {}).items()
    }


def zone_load_overrides(options: Mapping[str, Any], serial: str) -> dict[int, float]:
    """Return the loads in watts the options give for the zones of module `serial`, by zone number."""
    # Only this module's loads are read: it is called for every module and sensor at start-up.
    return _zone_watts(options.get(CONF_ZONE_WATTS, {}).get(serial, {}))


def _loads(runtime: HomeworksQsxRuntime, module: DeviceDescription) -> Loads:
    return module_loads(
        module, zone_load_overrides(runtime.entry.options, module.serial)
    )


def has_loads(device: DeviceDescription) -> bool:
    """Whether the zones of `device` can be given loads (`Capability.LOAD_CURRENT`: a module's, not an area's)."""
    return Capability.LOAD_CURRENT in device.capabilities


def _metered(devices: Iterable[DeviceDescription]) -> Iterator[DeviceDescription]:
    return (device for device in devices if has_loads(device))


def module_energy_entities(
    runtime: HomeworksQsxRuntime, module: DeviceDescription
) -> list[SensorEntity]:
    """Return the power and energy sensors of a module and of its zones whose load is known."""
    if not has_loads(module):
        return []
    loads = _loads(runtime, module)
    if not has_known_load(loads):
        return []
    entities: list[SensorEntity] = [
        HomeworksQsxPowerSensor(runtime, module, MODULE_POWER),
        HomeworksQsxEnergySensor(runtime, module, MODULE_ENERGY),
    ]
    for number, watts in enumerate(loads, start=1):
        if watts is None:
            continue
        power, energy = ZONE_DESCRIPTIONS[number]
        entities.append(HomeworksQsxPowerSensor(runtime, module, power, zone=number))
        entities.append(HomeworksQsxEnergySensor(runtime, module, energy, zone=number))
    return entities


@callback
def async_remove_sensors_without_load(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> None:
    """Remove from the registry the power and energy sensors whose load is no longer known (before a reload)."""
    registry = er.async_get(hass)
    runtime = entry.runtime_data
    description = runtime.backend.description
    unique_ids: list[str] = []
    any_known = False
    for module in _metered(description.devices):
        loads = _loads(runtime, module)
        if has_known_load(loads):
            any_known = True
        else:
            unique_ids += [
                f"{module.serial}_{MODULE_POWER.key}",
                f"{module.serial}_{MODULE_ENERGY.key}",
            ]
        for number, watts in enumerate(loads, start=1):
            if watts is None:
                unique_ids += [
                    f"{module.serial}_{d.key}" for d in ZONE_DESCRIPTIONS[number]
                ]
    if not any_known:
        unique_ids.append(f"{runtime.processor_serial}_{SYSTEM_POWER.key}")
    for unique_id in unique_ids:
        if entity_id := registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, unique_id):
            registry.async_remove(entity_id)


def system_energy_entities(runtime: HomeworksQsxRuntime) -> list[SensorEntity]:
    """Return the processor's total power sensor, when the load of at least one zone is known."""
    modules = _metered(runtime.backend.description.devices)
    if not any(has_known_load(_loads(runtime, module)) for module in modules):
        return []
    return [HomeworksQsxSystemPowerSensor(runtime, SYSTEM_POWER)]


class _ModulePower(HomeworksQsxDeviceEntity):
    """Power drawn through a module, or through one of its zones."""

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        module: DeviceDescription,
        description: SensorEntityDescription,
        *,
        zone: int | None = None,
    ) -> None:
        """Measure `module` (or its zone `zone`) with the loads the entry gives."""
        super().__init__(runtime, module, description)
        # Options are read once: a change of loads reloads the entry.
        self._overrides = zone_load_overrides(runtime.entry.options, module.serial)
        self._zone = zone
        if zone is not None:
            self._attr_translation_placeholders = {"zone": module.zone(zone).name}

    def _power(self) -> float:
        """Return the power in watts drawn now."""
        loads = module_loads(self.device, self._overrides)
        state = self.device_state
        if self._zone is None:
            return round(module_power(state, loads), POWER_DIGITS)
        return zone_power(state, self._zone, loads[self._zone - 1])


class HomeworksQsxPowerSensor(_ModulePower, SensorEntity):
    """Power drawn through a module or one of its zones (W)."""

    @property
    @override
    def native_value(self) -> float:
        """The power now."""
        return self._power()

    @override
    def _value(self) -> Any:
        return self.native_value


@dataclass(frozen=True, slots=True)
class EnergyStoredData(ExtraStoredData):
    """What an energy sensor keeps across restarts: its reading and the time up to which it was counted."""

    kwh: float
    counted_until: dt.datetime | None

    @override
    def as_dict(self) -> dict[str, Any]:
        return {
            "kwh": self.kwh,
            "counted_until": None
            if self.counted_until is None
            else self.counted_until.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnergyStoredData | None:
        """Read stored data; None when it is not ours or is damaged."""
        try:
            kwh = float(data["kwh"])
            until = data["counted_until"]
            counted_until = None if until is None else dt_util.parse_datetime(until)
        except KeyError, TypeError, ValueError:
            return None
        return cls(kwh, counted_until)


class HomeworksQsxEnergySensor(_ModulePower, RestoreEntity, SensorEntity):
    """Energy drawn through a module or one of its zones (kWh), integrated exactly at every change."""

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        module: DeviceDescription,
        description: SensorEntityDescription,
        *,
        zone: int | None = None,
    ) -> None:
        """Start from nothing; the reading is restored once the entity is added."""
        super().__init__(runtime, module, description, zone=zone)
        self._meter = EnergyMeter()
        self._cancel_write: CALLBACK_TYPE | None = None

    def _known_power(self) -> float | None:
        return self._power() if self.available else None

    @property
    @override
    def native_value(self) -> float:
        """The energy counted up to now."""
        return round(self._meter.kwh(dt_util.utcnow()), ENERGY_DIGITS)

    @override
    def _value(self) -> Any:
        return self.native_value

    @property
    @override
    def extra_restore_state_data(self) -> EnergyStoredData:
        """The reading now, and the time up to which it is counted."""
        now = dt_util.utcnow()
        return EnergyStoredData(self._meter.kwh(now), self._meter.counted_until)

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the reading, count an emulated system's time down, then follow every change."""
        await super().async_added_to_hass()
        now = dt_util.utcnow()
        stored = await self.async_get_last_extra_data()
        restored = EnergyStoredData.from_dict(stored.as_dict()) if stored else None
        if restored is not None:
            self._meter = EnergyMeter(restored.kwh)
            power = self._known_power()
            if (
                power is not None
                and restored.counted_until is not None
                and self.runtime.emulated is not None
            ):
                # The emulated system was stored as it was when Home Assistant stopped, and held that state.
                self._meter.add(power, restored.counted_until, now)
        self._async_follow_power()
        self._written = self._shown()

    @override
    async def async_will_remove_from_hass(self) -> None:
        """Stop the periodic writes."""
        self._async_cancel_write()
        await super().async_will_remove_from_hass()

    @callback
    def _async_follow_power(self) -> None:
        """Count the power held so far and hold the power drawn now; write at period boundaries while it is drawn."""
        now = dt_util.utcnow()
        power = self._known_power()
        self._meter.set_power(now, power)
        if not power:
            self._async_cancel_write()
        elif self._cancel_write is None:
            self._cancel_write = async_track_point_in_utc_time(
                self.hass, self._async_period_boundary, _next_boundary(now)
            )

    @callback
    def _async_cancel_write(self) -> None:
        if self._cancel_write is not None:
            self._cancel_write()
            self._cancel_write = None

    @callback
    def _async_period_boundary(self, now: dt.datetime) -> None:
        self._cancel_write = None
        self._async_follow_power()
        self._async_refresh()

    @callback
    @override
    def _handle_event(self, event: Event) -> None:
        if event.kind in _POWER_EVENTS:
            self._async_follow_power()
            self._async_refresh()

    @callback
    @override
    def async_push_connection(self) -> None:
        """Stop counting while states are unknown; count again from the fresh states."""
        self._async_follow_power()
        super().async_push_connection()


def _next_boundary(now: dt.datetime) -> dt.datetime:
    """Return the first boundary of a statistics period after `now`."""
    period = int(STATISTICS_PERIOD.total_seconds())
    elapsed = (now.minute * 60 + now.second) % period
    return now.replace(microsecond=0) + dt.timedelta(seconds=period - elapsed)


class HomeworksQsxSystemPowerSensor(HomeworksQsxProcessorEntity, SensorEntity):
    """Total power drawn through every module of the system whose loads are known (W).

    It follows every module's events: each event recomputes only its module's power, not the whole system's.
    """

    def __init__(
        self, runtime: HomeworksQsxRuntime, description: SensorEntityDescription
    ) -> None:
        """Sum the modules of the entry."""
        super().__init__(runtime, description)
        # Options are read once: a change of loads reloads the entry.
        self._overrides = all_zone_load_overrides(runtime.entry.options)
        self._module_powers: dict[str, float] = {}
        self._async_measure_all()

    def _measure(self, module: DeviceDescription) -> None:
        self._module_powers[module.serial] = module_power(
            self.runtime.backend.device_state(module.serial),
            module_loads(module, self._overrides.get(module.serial)),
        )

    @callback
    def _async_measure_all(self) -> None:
        self._module_powers.clear()
        for module in _metered(self.runtime.backend.description.devices):
            self._measure(module)

    @property
    @override
    def native_value(self) -> float:
        """The total power now."""
        return round(sum(self._module_powers.values(), 0.0), POWER_DIGITS)

    @override
    def _value(self) -> Any:
        return self.native_value

    @callback
    @override
    def _handle_event(self, event: Event) -> None:
        if event.kind not in _POWER_EVENTS or event.serial is None:
            return
        if event.kind is EventKind.DEVICE_REMOVED:
            self._module_powers.pop(event.serial, None)
        else:
            try:
                device = self.runtime.backend.description.device(event.serial)
            except UnknownObjectError:
                return
            if not has_loads(device):
                return  # an area group (LEAP): its zones carry no loads, so it draws nothing counted here
            self._measure(device)
        self._async_refresh()

    @callback
    @override
    def async_push_connection(self) -> None:
        """Measure every module again: a reconnection reads every state afresh."""
        if self.available:
            self._async_measure_all()
        super().async_push_connection()
