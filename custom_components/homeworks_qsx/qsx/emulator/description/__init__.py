"""System descriptions: read, validate, fill in defaults, and write back (YAML or JSON).

The package: `schema` (the format as written), `building` (raw data to a `SystemDescription`), `devices` (the
kinds beside switching modules, and their ids), `validation` (whole-system rules), `defaults` (names and serials),
`files` (load, save, build, to plain data, new modules).

A description names a project's HomeWorks QSX processors, their links and the devices of the house: switching modules,
dimming modules, shades, keypads, occupancy sensors and timeclocks. Everything a user leaves out gets a default,
so ``links: [{number: 1, modules: 4}]`` is a complete description. The format is documented in
``docs/system-description.md``; in short::

    name: My house                      # system (project) name
    guid: ...                           # project id; default derived from the processor serial
    database_date: 01/01/2026,00:00:00  # MM/DD/YYYY,HH:MM:SS
    processor: {serial: 0A1B2C3D, model: HQP7-2, name: ..., firmware: ..., integration_id: 1}
    # or, for a project of several processors (P4), instead of processor: and links:
    #   processors: [{serial: ..., model: ..., name: Pool house, links: [...]}, ...]
    # and each device below may name its processor (serial or name; default the first): processor: Pool house
    links:                              # or a number of links; missing links of the model are QS links
      - number: 1
        type: qs                        # qs | clear_connect_a (P2)
        length_ft: 800                  # or length_m; QS cable at most 2000 ft / 610 m (L1)
        modules: 4                      # a count of default modules, or a list of modules
    modules:                            # or a count (on link 1); each module:
      - link: 2                         # default 1 (inside links[i].modules: that link)
        address: 1                      # 1..99, unique per link; default the lowest free one
        serial: 1A2B3C4D                # 8 hex digits; default derived from the processor serial, link, address
        name: Kitchen panel             # default "Module <link>.<address>"
        area: Kitchen                   # default: the module name
        integration_id: 10              # default 10*n for the n-th module in link/address order
        cci_group: emergency            # modules sharing one override contact (C7), at most 32
        feed: panel-a                   # modules fed through one mains feed: at most 16 A together (M4)
        zones:                          # up to 4; a plain string is a zone name
          - name: Island                # default "Zone <n>"
            load_type: incandescent     # see LoadType; receptacles are not allowed (M3)
            watts: 600                  # or amps; watts are at 120 V; at most 8 A (M3)
            override: on                # level in manual override: on | off | unchanged (C2)
            integration_id: 11          # default module id + zone number
        cco: {name: Gate, type: momentary, pulse_seconds: 2, integration_id: 15}   # id default: module id + 5
    dimming_modules: [{link: 1, address: 5, zones: [{name: Chandelier, watts: 300}]}]   # LQSE-4A5-120-D
    shades: [{link: 1, address: 6, type: shade_with_tilt}]                              # QS Shade
    keypads:                            # seetouch | palladiom | homeowner (no serial, no link address)
      - type: palladiom
        model: HQWT-U-P2W               # buttons at positions 1 and 4
        buttons:
          - engraving: Dinner           # LED: the button's number; ids: keypad id + n, LED + 10 + n
            programming: {model: single_action, targets: [{output: 11, level: 75}]}
    occupancy_sensors: [{area: Kitchen, type: ceiling}]
    timeclocks: [{events: [{type: sunset, offset_minutes: -10, days: weekdays, targets: [14]}]}]

Every error is a `DescriptionError` whose `path` names the offending place, for example
``modules[2].zones[1].amps``. Links, addresses and the P3 limits are per processor; serials and integration ids
are unique across the project (L3).
"""

from ...model import default_guid
from .building import parse_description
from .defaults import (
    DEFAULT_SYSTEM_NAME,
    default_module_name,
    default_module_serial,
    default_processor_name,
    default_processor_serial,
    derived_serial,
)
from .files import (
    build_description,
    build_project,
    cco_to_dict,
    description_to_dict,
    device_to_dict,
    load_description,
    module_to_dict,
    new_module,
    save_description,
    zone_to_dict,
)
from .schema import DATABASE_DATE_FORMAT, MAX_NAME_LENGTH
from .validation import validate_description

__all__ = [
    "DATABASE_DATE_FORMAT",
    "DEFAULT_SYSTEM_NAME",
    "MAX_NAME_LENGTH",
    "build_description",
    "build_project",
    "cco_to_dict",
    "default_guid",
    "default_module_name",
    "default_module_serial",
    "default_processor_name",
    "default_processor_serial",
    "derived_serial",
    "description_to_dict",
    "device_to_dict",
    "load_description",
    "module_to_dict",
    "new_module",
    "parse_description",
    "save_description",
    "validate_description",
    "zone_to_dict",
]
