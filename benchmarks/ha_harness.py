"""A Home Assistant instance for benchmarks, and the config entries they set up.

Each measurement runs in a fresh test instance of Home Assistant (``async_test_home_assistant``, with a temporary
configuration directory), on Home Assistant's own event loop, with custom integrations enabled: ours, and the
benchmark-only floor integration ``qsx_floor`` (``benchmarks/ha_floor/``).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
import contextlib
from functools import partial
import logging
from pathlib import Path
import tempfile
import time
from typing import Any
from unittest.mock import patch

import aiohttp
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components
from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_DESCRIPTION_PATH,
    CONF_HTTP_PORT,
    CONF_LIP_PORT,
    CONF_MODEL,
    CONF_MODULES_PER_LINK,
    CONF_SERVE,
    DOMAIN,
    BackendType,
)
from homeassistant import loader, runner
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_USERNAME,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    frame,
    translation,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .common import PASSWORD, ROOT, USERNAME, Served, modules_per_link

FLOOR_DOMAIN = "qsx_floor"
FLOOR_PATH = ROOT / "benchmarks" / "ha_floor"
if str(FLOOR_PATH) not in custom_components.__path__:
    custom_components.__path__.append(str(FLOOR_PATH))

type Layout = dict[str, dict[str, int]]


class _Resolver(aiohttp.ThreadedResolver):
    """The system resolver, closed as Home Assistant closes its own."""

    async def real_close(self) -> None:
        """Close, as Home Assistant does at exit."""
        await self.close()


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `main` on an event loop configured as Home Assistant configures its own."""
    loop = runner.create_event_loop()
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def run_benchmark(
    bench: Callable[[argparse.Namespace], Coroutine[Any, Any, None]],
    args: argparse.Namespace,
) -> None:
    """Run `bench(args)` on Home Assistant's kind of event loop, logging warnings and worse."""
    logging.basicConfig(level=logging.WARNING)
    run(partial(bench, args))


@contextlib.asynccontextmanager
async def home_assistant() -> AsyncIterator[HomeAssistant]:
    """Yield a fresh Home Assistant with custom integrations enabled; unload everything and stop it after."""
    with (
        tempfile.TemporaryDirectory(prefix="qsx-bench-") as config_dir,
        # The shared HTTP session would resolve names through zeroconf, which needs the network integration.
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            side_effect=lambda _hass: _Resolver(),
        ),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            frame.async_setup(hass)
            await translation.async_load_integrations(hass, {"homeassistant"})
            # A running Home Assistant has its shared HTTP session already (core integrations use it from the
            # start): creating it is not the cost of the first entry that asks for it.
            async_get_clientsession(hass)
            try:
                yield hass
            finally:
                for entry in hass.config_entries.async_entries():
                    if entry.state is ConfigEntryState.LOADED:
                        await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_stop(force=True)


def emulated_data(size: int, description: Path | None = None) -> dict[str, Any]:
    """Entry data of an emulated system of `size` modules (or described by a file)."""
    data: dict[str, Any] = {
        CONF_BACKEND: BackendType.EMULATED.value,
        CONF_NAME: f"Bench {size}",
        CONF_MODEL: "HQP7-2",
        CONF_MODULES_PER_LINK: modules_per_link(size),
        CONF_SERVE: False,
    }
    if description is not None:
        data[CONF_DESCRIPTION_PATH] = str(description)
    return data


def live_data(served: Served) -> dict[str, Any]:
    """Entry data of a live processor: the emulator served on loopback by a child process."""
    return {
        CONF_BACKEND: BackendType.LIP.value,
        CONF_HOST: served.host,
        CONF_LIP_PORT: served.port,
        CONF_HTTP_PORT: served.http_port,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
    }


def floor_data(modules: int, layout: Layout) -> dict[str, Any]:
    """Entry data of the floor integration: as many modules, the same entities per device."""
    return {"modules": modules, "layout": layout}


def entity_states(hass: HomeAssistant, entry_id: str) -> tuple[int, int]:
    """Return (enabled entities of the entry, those of them that have an available state)."""
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    enabled = [entity for entity in entries if entity.disabled_by is None]
    with_state = 0
    for entity in enabled:
        state = hass.states.get(entity.entity_id)
        if state is not None and state.state != STATE_UNAVAILABLE:
            with_state += 1
    return len(enabled), with_state


async def setup_entry(
    hass: HomeAssistant,
    domain: str,
    data: dict[str, Any],
    title: str,
    settled: Callable[[MockConfigEntry], Awaitable[None]] | None = None,
) -> tuple[MockConfigEntry, float, int]:
    """Add and set up an entry; return it, the seconds until every entity has a state, and the entity count.

    With `settled`, the time also runs until it returns (what the entry still does after its set-up).
    """
    entry = MockConfigEntry(domain=domain, title=title, data=data)
    entry.add_to_hass(hass)
    start = time.perf_counter()
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise RuntimeError(f"{domain} did not set up: {entry.state} {entry.reason}")
    await hass.async_block_till_done()
    enabled, with_state = entity_states(hass, entry.entry_id)
    while with_state < enabled:
        if time.perf_counter() - start > 60:
            raise RuntimeError(
                f"{domain}: {with_state} of {enabled} entities have a state"
            )
        await asyncio.sleep(0)
        await hass.async_block_till_done()
        enabled, with_state = entity_states(hass, entry.entry_id)
    if settled is not None:
        await settled(entry)
    return entry, time.perf_counter() - start, with_state


def layout_of(hass: HomeAssistant, entry_id: str) -> Layout:
    """Count an entry's entities per platform: on the processor and on each module, enabled and disabled.

    Read from a one-module system, it is the layout the floor integration copies.
    """
    devices = dr.async_get(hass)
    counts: Counter[tuple[str, str]] = Counter()
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry_id):
        device = devices.async_get(entity.device_id) if entity.device_id else None
        # Module devices hang off the processor's device.
        where = "module" if getattr(device, "via_device_id", None) else "processor"
        if entity.disabled_by is not None:
            where += "_disabled"
        counts[(entity.domain, where)] += 1
    layout: Layout = {}
    for (platform, where), count in counts.items():
        layout.setdefault(platform, {})[where] = count
    return layout


def our_domain() -> str:
    """Return the domain of the integration under test."""
    return DOMAIN
