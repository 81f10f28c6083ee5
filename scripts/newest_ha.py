"""Check the integration against another Home Assistant release, installed in its own environment.

Boots that release's `hass` on a free loopback port with a temporary configuration, onboards it, adds an emulated
system through the config flow REST API, reads its devices, entities and states, switches a zone, and checks that
the HTTP settings are the stable ones on loopback. Prints what breaks, and exits non-zero, when anything does.

Usage: python -m scripts.newest_ha PYTHON_OF_THAT_ENVIRONMENT
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import sys
import tempfile
import time

import aiohttp

from .ha_instance import (
    DEVELOPMENT_LOGIN,
    LOOPBACK,
    HomeAssistantClient,
    HomeAssistantError,
    free_port,
    listening_addresses,
    prepare_config,
    stable_on_loopback_problems,
    start,
    stop,
)

STATE_TIMEOUT = 20.0
# Two modules on link 1: a processor, two module devices; 4 zones, a CCO, a CCI and diagnostics each.
SYSTEM = {
    "name": "Newest release check",
    "model": "hqp7_2",
    "link_1_modules": 2,
    "link_2_modules": 0,
    "serve": False,
}


def say(message: str) -> None:
    """Print one line of the check."""
    print(f"newest-ha: {message}", flush=True)  # noqa: T201


async def check(python: Path, config_dir: Path, log: Path) -> list[str]:
    """Run the check against `hass` of `python`; return what broke."""
    port = free_port()
    prepare_config(config_dir, port)
    process = start(config_dir, log, python=python)
    problems: list[str] = []
    try:
        async with aiohttp.ClientSession() as session:
            client = HomeAssistantClient(session, f"http://{LOOPBACK}:{port}")
            await client.wait_until_up(process)
            await client.onboard(DEVELOPMENT_LOGIN)
            await client.wait_until_running()
            version = (await client.request("GET", "/api/config"))["version"]
            say(f"Home Assistant {version} is running on {LOOPBACK}:{port}")
            result = await client.add_emulated_system(SYSTEM)
            entry_id = result["result"]["entry_id"]
            if result["result"]["state"] != "loaded":
                problems.append(f"the entry is {result['result']['state']}")
            devices = await client.devices_of(entry_id)
            entities = await client.entities_of(entry_id)
            say(
                f"added {result['title']}: {len(devices)} devices, {len(entities)} entities"
            )
            names = sorted(str(device["name"]) for device in devices)
            if names != sorted([str(SYSTEM["name"]), "Module 1.1", "Module 1.2"]):
                problems.append(f"devices are {names}")
            problems += await check_states(client, entities)
            problems += await check_zone(client)
            problems += stable_on_loopback_problems(
                await client.http_config(), listening_addresses(process.pid), port
            )
    except HomeAssistantError as err:
        problems.append(str(err))
    finally:
        stop(process)
    return problems


async def check_states(
    client: HomeAssistantClient, entities: list[dict[str, object]]
) -> list[str]:
    """Return the enabled entities whose state is `unavailable`."""
    problems = []
    for entity in entities:
        if entity["disabled_by"] is not None:
            continue
        state = await client.state(str(entity["entity_id"]))
        if state["state"] == "unavailable":
            problems.append(f"{entity['entity_id']} is unavailable")
    return problems


async def check_zone(client: HomeAssistantClient) -> list[str]:
    """Turn zone 1 of the first module on through the switch action; its entity must follow."""
    entity_id = "switch.module_1_1_zone_1"
    await client.request(
        "POST", "/api/services/switch/turn_on", {"entity_id": entity_id}
    )
    deadline = time.monotonic() + STATE_TIMEOUT
    while time.monotonic() < deadline:
        if (await client.state(entity_id))["state"] == "on":
            return []
        await asyncio.sleep(0.25)
    return [f"{entity_id} did not turn on within {STATE_TIMEOUT} s"]


def main() -> int:
    """Run the check; its log is printed when something breaks."""
    python = Path(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="homeworks-newest-ha-") as scratch:
        log = Path(scratch) / "hass.log"
        problems = asyncio.run(check(python, Path(scratch) / "config", log))
        if problems:
            print(log.read_text(encoding="utf-8", errors="replace")[-20_000:])  # noqa: T201
            for problem in problems:
                say(f"BROKEN: {problem}")
            return 1
    say("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
