"""Whole-system checks of a description, shared by parsing and by the emulator's structural changes."""

from __future__ import annotations

from collections.abc import Sequence

from ...const import (
    MAX_ADDRESS,
    MAX_CCI_GROUP_SIZE,
    MIN_ADDRESS,
    MODULE_RATING_A,
    PULSE_RANGE,
    QS_LINK_MAX_LENGTH_FT,
    QS_LINK_MAX_LENGTH_M,
    ZONE_RATING_A,
    ZONES_PER_MODULE,
    LinkType,
    is_pulse_seconds,
    link_limits,
)
from ...errors import DescriptionError, LimitError
from ...model import DeviceDescription, LinkDescription, SystemDescription
from .schema import AMPS_EPSILON, LINK_TYPE_NAMES, SERIAL_RE

# Whole-system checks, shared by parsing and by the emulator's structural changes


def full_load(module: DeviceDescription) -> float:
    """Return the current the module's zones draw when all are on (M3, M4)."""
    return sum(zone.amps for zone in module.zones)


class Locator:
    """Names places in a description: canonical paths, or where the user wrote each module."""

    __slots__ = ("_module_paths",)

    def __init__(self, module_paths: Sequence[str] | None = None) -> None:
        """Name modules by `module_paths` (where the user wrote them), or canonically."""
        self._module_paths = module_paths

    def module(self, index: int) -> str:
        """Return the path of the module at `index`."""
        if self._module_paths is not None and index < len(self._module_paths):
            return self._module_paths[index]
        return f"modules[{index}]"


def validate_description(description: SystemDescription) -> None:
    """Check a (possibly hand-built) description against every rule a description must follow.

    Checks serials, link numbers (P1) and types (P2), addresses, integration ids (one namespace, L3), zones (M1),
    loads (M3), feed-through groups (M4), CCI groups (C7), link capacities (P3), pulse times and cable lengths (L1).

    Raises:
        DescriptionError: with the canonical path (``modules[i]...``) of the offending value; its subclass
            `LimitError` for the limits P3, C7, M3 and M4.

    """
    check_description(description, Locator())


def check_description(description: SystemDescription, locator: Locator) -> None:
    """Check `description` against every rule, naming modules in errors as `locator` says."""
    checker = _Checker(description, locator)
    checker.check_processor()
    checker.check_links()
    for index, module in enumerate(description.modules):
        checker.check_module(index, module)
    checker.check_capacities()
    checker.check_loads()


def _check_serial(path: str, serial: str) -> None:
    if not isinstance(serial, str) or not SERIAL_RE.match(serial):
        raise DescriptionError(
            path, f"{serial!r} is not 8 upper-case hexadecimal digits"
        )


class _Checker:
    """Whole-system rules, one group per method; collects what the later checks need."""

    def __init__(self, description: SystemDescription, locator: Locator) -> None:
        self.description = description
        self.locator = locator
        self.model = description.processor.model
        self.links: dict[int, LinkDescription] = {}
        self.serials = {description.processor.serial: "processor.serial"}
        self.ids = {description.processor.integration_id: "processor.integration_id"}
        self.addresses: dict[tuple[int, int], str] = {}
        self.per_link: dict[int, list[int]] = {}
        self.groups: dict[str, list[int]] = {}
        self.feeds: dict[str, list[int]] = {}

    def check_processor(self) -> None:
        processor = self.description.processor
        _check_serial("processor.serial", processor.serial)
        if processor.integration_id < 1:
            raise DescriptionError(
                "processor.integration_id", "integration ids are positive"
            )

    def check_links(self) -> None:
        model = self.model
        for index, link in enumerate(self.description.links):
            path = f"links[{index}]"
            if not 1 <= link.number <= model.link_count:
                raise DescriptionError(
                    f"{path}.number",
                    f"link {link.number} does not exist: a {model.value} processor has "
                    f"{model.link_count} link(s) (P1)",
                )
            if link.number in self.links:
                raise DescriptionError(
                    f"{path}.number", f"link {link.number} is described twice"
                )
            if link.cable_length_m is not None:
                if link.link_type is not LinkType.QS:
                    raise DescriptionError(
                        path,
                        "a Clear Connect Type A link is wireless: it has no cable length (L1)",
                    )
                if link.cable_length_m > QS_LINK_MAX_LENGTH_M:
                    raise DescriptionError(
                        f"{path}.length_m",
                        f"{link.cable_length_m:g} m is longer than the {QS_LINK_MAX_LENGTH_M:g} m "
                        f"({QS_LINK_MAX_LENGTH_FT:g} ft) a QS link allows (L1)",
                    )
            self.links[link.number] = link

    def check_module(self, index: int, module: DeviceDescription) -> None:
        path = self.locator.module(index)
        _check_serial(f"{path}.serial", module.serial)
        if module.serial in self.serials:
            raise DescriptionError(
                f"{path}.serial",
                f"serial {module.serial} is already used by {self.serials[module.serial]}",
            )
        self.serials[module.serial] = path
        link = self.links.get(module.link)
        if link is None:
            raise DescriptionError(
                f"{path}.link",
                f"link {module.link} does not exist on a {self.model.value} processor (P1)",
            )
        if link.link_type is not LinkType.QS:
            raise DescriptionError(
                f"{path}.link",
                f"link {module.link} is a Clear Connect Type A (RF) link; a switching module is a QS wired "
                "device (P2)",
            )
        if not MIN_ADDRESS <= module.address <= MAX_ADDRESS:
            raise DescriptionError(
                f"{path}.address", f"addresses are {MIN_ADDRESS}..{MAX_ADDRESS}"
            )
        key = (module.link, module.address)
        if key in self.addresses:
            raise DescriptionError(
                f"{path}.address",
                f"address {module.address} on link {module.link} is already used by {self.addresses[key]}",
            )
        self.addresses[key] = path
        if [zone.number for zone in module.zones] != list(
            range(1, ZONES_PER_MODULE + 1)
        ):
            raise DescriptionError(
                f"{path}.zones",
                f"a module has {ZONES_PER_MODULE} zones numbered 1..4 (M1)",
            )
        self._check_ids(path, module)
        if not is_pulse_seconds(module.cco.pulse_seconds):
            raise DescriptionError(f"{path}.cco.pulse_seconds", PULSE_RANGE)
        for zone in module.zones:
            if zone.amps < 0:
                raise DescriptionError(
                    f"{path}.zones[{zone.number - 1}].amps", "a load cannot be negative"
                )
        self.per_link.setdefault(module.link, []).append(index)
        if module.cci_group is not None:
            self.groups.setdefault(module.cci_group, []).append(index)
        if module.feed is not None:
            self.feeds.setdefault(module.feed, []).append(index)

    def _check_ids(self, path: str, module: DeviceDescription) -> None:
        named = [(f"{path}.integration_id", module.integration_id)]
        named.extend(
            (f"{path}.zones[{zone.number - 1}].integration_id", zone.integration_id)
            for zone in module.zones
        )
        named.append((f"{path}.cco.integration_id", module.cco.integration_id))
        for id_path, integration_id in named:
            if integration_id < 1:
                raise DescriptionError(id_path, "integration ids are positive")
            if integration_id in self.ids:
                raise DescriptionError(
                    id_path,
                    f"integration id {integration_id} is already used by {self.ids[integration_id]}",
                )
            self.ids[integration_id] = id_path

    def check_capacities(self) -> None:
        for number, members in self.per_link.items():
            link_type = self.links[number].link_type
            max_devices, max_zones = link_limits(self.model, link_type)
            kind = (
                f"a {LINK_TYPE_NAMES[link_type]} link of a {self.model.value} processor"
            )
            if len(members) > max_devices:
                raise LimitError(
                    self.locator.module(members[max_devices]),
                    f"link {number} would hold {len(members)} devices; {kind} holds at most {max_devices} (P3)",
                )
            zones = len(members) * ZONES_PER_MODULE
            if zones > max_zones:
                raise LimitError(
                    self.locator.module(members[max_zones // ZONES_PER_MODULE]),
                    f"link {number} would hold {zones} zones; {kind} holds at most {max_zones} (P3, M2)",
                )
        for group, members in self.groups.items():
            if len(members) > MAX_CCI_GROUP_SIZE:
                raise LimitError(
                    f"{self.locator.module(members[MAX_CCI_GROUP_SIZE])}.cci_group",
                    f"CCI group {group!r} would hold {len(members)} modules; at most {MAX_CCI_GROUP_SIZE} CCIs "
                    "may be wired in parallel (C7)",
                )

    def check_loads(self) -> None:
        modules = self.description.modules
        for index, module in enumerate(modules):
            path = self.locator.module(index)
            for zone in module.zones:
                if zone.amps > ZONE_RATING_A + AMPS_EPSILON:
                    raise LimitError(
                        f"{path}.zones[{zone.number - 1}].amps",
                        f"{zone.amps:g} A is above the {ZONE_RATING_A:g} A zone rating (M3)",
                    )
            total = full_load(module)
            if total > MODULE_RATING_A + AMPS_EPSILON:
                raise LimitError(
                    f"{path}.zones",
                    f"the zones draw {total:.2f} A when all are on, above the {MODULE_RATING_A:g} A module "
                    "rating (M3)",
                )
        for feed, members in self.feeds.items():
            total = sum(full_load(modules[index]) for index in members)
            if total > MODULE_RATING_A + AMPS_EPSILON:
                raise LimitError(
                    f"{self.locator.module(members[-1])}.feed",
                    f"the modules fed through {feed!r} draw {total:.2f} A when all zones are on, above the "
                    f"{MODULE_RATING_A:g} A a feed-through may carry (M4)",
                )
