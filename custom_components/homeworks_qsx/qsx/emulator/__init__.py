"""An emulated HomeWorks QSX processor with its switching power modules and the rest of a house.

Beside the LQSE-4S8-120-D modules: dimming modules, shades, keypads, occupancy sensors and timeclocks (`house`
holds their records and timings).

The emulator side of the library: nothing on the client side (model, errors, events, connection, the LIP and LEAP
clients) imports it. `system` holds the facade `Emulator`, `module` the rules of one module and the events of a
change, `persistence` the export and restore of the whole state; `backend` offers it as a `QsxBackend`;
`description` reads, validates and writes system descriptions; `lip` and `leap` serve it to any client, on the
session plumbing of `sessions`, the limits of `limits`, composed by `serving`.

The emulator holds one `SystemDescription`, a whole project: one processor or several (P4, LP53: one id space;
`set_processor_online` cuts a processor off the network, and the devices on its links are then unreachable as with
a link fault), and one `DeviceState` per device. Commands from the
processor or an integration (`set_zone`, `set_cco`, `pulse_cco`) and local button presses (`press_button`) either
change the module or are ignored with an `IgnoredReason`; physical conditions (`set_cci`, `set_power`, `set_link`,
`set_bypass`, `set_temperature`, `set_program_mode`) always apply. Every real change is published, in order, as
`Event`s on `events`.

Behaviour where the documents leave a choice (see ``docs/system-description.md`` for the full list):

- A module remembers the level of each zone (power failure memory, M7); it drives its relays from that memory
  while it has power and no bypass jumper. The relay counter (M5) counts each change of a relay's position; an
  outage or the bypass jumper do not move the relays, so they do not count.
- Without power, zones are reported off and draw nothing, LEDs are off, the CCO opens and a pending pulse is
  cancelled (O3). When power returns the zones go back to their remembered levels and the CCO stays open.
- The module evaluates its CCI only while powered: a CCI opened during an outage puts the module in override when
  power returns; an override in progress at an outage continues after it (with its override levels), and ends at
  power-up if the CCI was closed meanwhile (C2, C5).
- Manual override (C2, C3): zones go to their override levels (on, off, or unchanged); the module ignores its
  buttons and every command (`IgnoredReason.MANUAL_OVERRIDE`); when the CCI closes, each zone returns to the
  level it had just before override began (C5). A CCI group (C7) opens and closes together.
- No QS link (L2, M10): zones keep their levels, zone LEDs scroll (reported `LedState.FLASH`), commands from the
  processor are ignored (`NO_LINK`); local buttons and the CCI still work.
- Bypass jumper (M13): zones are reported on and the loads draw their full current from mains; commands and
  buttons are ignored (`BYPASS`); removing the jumper shows the levels the module holds again.
- Program mode (M11): the Prog LED flashes; the module still obeys commands.
- Commands are ignored for the first reason that applies, in the order no power, bypass, manual override, no
  link (`DeviceState.ignored_reason`); buttons are ignored for the same reasons except no link.

The other devices (LP24–LP49: levels, ramps, shade travel, keypad presses and LEDs, occupancy, timeclocks) are
described in ``docs/system-description.md``, "The rest of the house".

P7 (authenticated access, loopback by default) is implemented by the network server in ``qsx/lip``; the emulator
itself holds no credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:
    from .persistence import EXPORT_FORMAT
    from .system import Emulator

_MODULES = {"EXPORT_FORMAT": ".persistence", "Emulator": ".system"}
__all__ = ["EXPORT_FORMAT", "Emulator"]

_resolve = lazy_exports(__name__, _MODULES)


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use."""
    return _resolve(name)
