"""The processors of a project (P1, P4): read from either form of a description, and named by its devices.

A description holds one processor (``processor:`` and top-level ``links:``) or several (``processors:``, each with
its own ``links:``). Whatever the form, the processors are numbered from 0 in the order written, the first one being
the one a single-processor description names. A device names its processor by serial or by name (`resolve`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...const import ProcessorModel
from ...errors import DescriptionError
from ...model import ProcessorDescription
from .defaults import default_processor_name, default_processor_serial, derived_serial

DEFAULT_MODEL = ProcessorModel.HQP7_2


@dataclass(frozen=True, slots=True)
class ProcessorEntry:
    """A processor as written: where (its path), its raw keys, and its links as written."""

    path: str  # "processor" or "processors[i]"
    raw: dict[str, Any]
    links: int | list[dict[str, Any]] | None
    links_path: str  # "links" or "processors[i].links"


def processor_entries(raw: Mapping[str, Any]) -> list[ProcessorEntry]:
    """Return the processors of validated raw data in the order written, from either form."""
    if "processors" not in raw:
        return [
            ProcessorEntry(
                "processor", raw.get("processor", {}), raw.get("links"), "links"
            )
        ]
    for key in ("processor", "links"):
        if key in raw:
            raise DescriptionError(
                key,
                "a description lists its processors under processors: (each with its own links:) "
                "or names one under processor: and links:, not both",
            )
    return [
        ProcessorEntry(
            f"processors[{index}]",
            {key: value for key, value in item.items() if key != "links"},
            item.get("links"),
            f"processors[{index}].links",
        )
        for index, item in enumerate(raw["processors"])
    ]


def build_processors(
    entries: Sequence[ProcessorEntry], system_name: str, explicit_ids: Iterable[int]
) -> tuple[ProcessorDescription, ...]:
    """Return the processors of the entries with their defaults, checked unique (L3).

    Defaults: the first processor's serial derives from the system name (as with one processor), the n-th's from
    the name and n; names "HomeWorks QSX processor" then "... processor <n>"; integration ids the lowest free ones
    from 1, stepping around every id written in the description (`explicit_ids`).
    """
    serials: dict[str, str] = {}
    names: dict[str, str] = {}
    ids: dict[int, str] = {}
    for entry in entries:
        raw = entry.raw
        if "serial" in raw:
            if raw["serial"] in serials:
                raise DescriptionError(
                    f"{entry.path}.serial",
                    f"serial {raw['serial']} is already used by {serials[raw['serial']]}",
                )
            serials[raw["serial"]] = f"{entry.path}.serial"
        if "integration_id" in raw:
            if raw["integration_id"] in ids:
                raise DescriptionError(
                    f"{entry.path}.integration_id",
                    f"integration id {raw['integration_id']} is already used by {ids[raw['integration_id']]}",
                )
            ids[raw["integration_id"]] = f"{entry.path}.integration_id"
    taken_ids = set(explicit_ids)
    processors: list[ProcessorDescription] = []
    for number, entry in enumerate(entries, start=1):
        raw = entry.raw
        serial = raw.get("serial")
        if serial is None:
            seed_name = system_name if number == 1 else f"{system_name}:{number}"
            serial = default_processor_serial(seed_name)
            attempt = 0
            while serial in serials:
                attempt += 1
                serial = derived_serial(f"processor:{seed_name}:{attempt}")
            serials[serial] = f"{entry.path}.serial"
        integration_id = raw.get("integration_id")
        if integration_id is None:
            # The first processor is 1 as it always was (an id written twice is reported later); the others step
            # around every id written.
            avoid = set(ids) if number == 1 else taken_ids | set(ids)
            integration_id = 1
            while integration_id in avoid:
                integration_id += 1
            ids[integration_id] = f"{entry.path}.integration_id"
        name: str = raw.get("name", default_processor_name(number))
        if name.casefold() in names:
            raise DescriptionError(
                f"{entry.path}.name",
                f"processor name {name!r} is already used by {names[name.casefold()]}: "
                "devices name their processor by serial or by name",
            )
        names[name.casefold()] = entry.path
        processors.append(
            ProcessorDescription(
                serial=serial,
                model=raw.get("model", DEFAULT_MODEL),
                name=name,
                integration_id=integration_id,
                **({"firmware": raw["firmware"]} if "firmware" in raw else {}),
            )
        )
    return tuple(processors)


def resolve_processor(
    processors: Sequence[ProcessorDescription], path: str, value: str | None
) -> int:
    """Return the index of the processor a device names (by serial, or by name in any case); None: the first.

    Raises:
        DescriptionError: no processor of the project has that serial or name (path ``<path>.processor``).

    """
    if value is None:
        return 0
    for index, processor in enumerate(processors):
        if value.upper() == processor.serial:
            return index
    for index, processor in enumerate(processors):
        if value.casefold() == processor.name.casefold():
            return index
    known = ", ".join(f"{item.serial} ({item.name})" for item in processors)
    raise DescriptionError(
        f"{path}.processor",
        f"no processor of the project has the serial or name {value!r}; its processors: {known}",
    )


def processor_label(processors: Sequence[ProcessorDescription], index: int) -> str:
    """Name a processor in an error: "a HQP7-2 processor", or with several, "processor 'Pool house' (a HQP7-1)"."""
    processor = processors[index]
    if len(processors) == 1:
        return f"a {processor.model.value} processor"
    return f"processor {processor.name!r} (a {processor.model.value})"
