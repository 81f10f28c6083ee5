"""Config flow of the floor integration: entries are created by the benchmarks, never by a user."""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlow

from . import DOMAIN


class FloorConfigFlow(ConfigFlow, domain=DOMAIN):
    """No user step: Home Assistant only needs the flow's version to load an entry."""

    VERSION = 1
