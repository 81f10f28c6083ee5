"""Check the integration against another Home Assistant release, installed in its own environment.

Boots that release's `hass` on a free loopback port with a temporary configuration and onboards it. Serves three
emulated processors on loopback addresses of their own with the project's `homeworks-qsx serve` (LEAP listing its
modules in full, LEAP listing them anonymously as a real QSX does, and LIP), with client certificates from
`homeworks-qsx issue-cert`. Then adds, through the config flow REST API, an emulated system and one live entry for
each server, and checks every entry: loaded, every module (or area) device with its switches, no enabled entity
unavailable, a zone switched through the switch action. Finally no ERROR line of Home Assistant's log may name
homeworks_qsx. Prints what breaks, and exits non-zero, when anything does.

The LEAP servers listen on port 8081 (pylutron-caseta's, which the integration dials): `scripts/check-newest-ha`
runs this inside a network namespace of its own (scripts/offline) so the ports never collide.

Usage: python -m scripts.newest_ha PYTHON_OF_THAT_ENVIRONMENT
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
import os
from pathlib import Path
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp
import yaml

from .ha_instance import (
    DEVELOPMENT_LOGIN,
    DOMAIN,
    LOOPBACK,
    HomeAssistantClient,
    HomeAssistantError,
    error_lines,
    free_port,
    listening_addresses,
    prepare_config,
    stable_on_loopback_problems,
    start,
    stop,
)

STATE_TIMEOUT = 20.0
SERVER_TIMEOUT = 30.0
# Two modules on link 1: a processor, two module devices; 4 zones, a CCO, a CCI and diagnostics each.
SYSTEM = {
    "name": "Newest release check",
    "model": "hqp7_2",
    "link_1_modules": 2,
    "link_2_modules": 0,
    "serve": False,
}
LEAP_PORT = 8081  # the port the integration dials, as pylutron-caseta does
PAIRING_PORT = 8083
LIP_PASSWORD = "newest-release-check"
CONSOLE_SCRIPT = Path(sys.executable).parent / "homeworks-qsx"


@dataclass(frozen=True, slots=True)
class Served:
    """An emulated processor served on a loopback address of its own."""

    title: str
    host: str
    serial: str
    protocol: str  # "leap" or "lip"
    profile: str = "full"  # how LEAP lists the modules
    lip_port: int = 2323
    http_port: int = 8080

    def description(self) -> dict[str, Any]:
        """Return the system to emulate: two named modules in two areas, with serial numbers of their own."""
        prefix = f"1{self.serial[-2:]}0000"  # module serials unique across the entries
        return {
            "name": self.title,
            "processor": {"serial": self.serial, "model": "HQP7-2"},
            "links": [
                {
                    "number": 1,
                    "modules": [
                        {
                            "serial": f"{prefix}1",
                            "name": "Kitchen panel",
                            "area": "Kitchen",
                            "zones": ["Island", "Pendants", "Under cabinet", "Zone 4"],
                            "cco": {"name": "Gate", "type": "momentary"},
                        },
                        {
                            "serial": f"{prefix}2",
                            "name": "Hall panel",
                            "area": "Hall",
                        },
                    ],
                }
            ],
        }

    @property
    def unit_names(self) -> set[str]:
        """The devices the entry should have under its processor: modules, or areas when listed anonymously."""
        if self.profile == "anonymous":
            return {"Kitchen", "Hall"}
        return {"Kitchen panel", "Hall panel"}


SERVED = (
    Served("LEAP full listing", "127.0.0.52", "0E000052", "leap"),
    Served("LEAP anonymous listing", "127.0.0.53", "0E000053", "leap", "anonymous"),
    Served("LIP", "127.0.0.54", "0E000054", "lip"),
)


def say(message: str) -> None:
    """Print one line of the check."""
    print(f"newest-ha: {message}", flush=True)  # noqa: T201


def tool(*args: str | Path) -> list[str]:
    """Return the command line of the project's `homeworks-qsx` with `args`."""
    return [str(CONSOLE_SCRIPT), *(str(arg) for arg in args)]


def wait_for_port(process: subprocess.Popen[bytes], host: str, port: int) -> str | None:
    """Wait until `host`:`port` accepts connections, at most SERVER_TIMEOUT seconds; return why not, or None."""
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if (code := process.poll()) is not None:
            return f"homeworks-qsx serve on {host} exited with code {code}"
        try:
            with socket.create_connection((host, port), timeout=1):
                return None
        except OSError:
            time.sleep(0.2)
    return f"nothing listens on {host}:{port} after {SERVER_TIMEOUT} s"


@contextmanager
def serving(served: Served, scratch: Path) -> Iterator[dict[str, Any]]:
    """Serve `served` while in the block; yield the answers of its config flow's last step."""
    folder = scratch / served.host
    folder.mkdir()
    system = folder / "system.yaml"
    system.write_text(yaml.safe_dump(served.description()), encoding="utf-8")
    state = folder / "state.json"
    command: list[str | Path] = ["serve", "--system", system, "--state", state]
    command += ["--host", served.host]
    answer: dict[str, Any]
    if served.protocol == "leap":
        certificates = folder / "certificates"
        subprocess.run(  # noqa: S603
            tool(
                "issue-cert",
                "--state",
                state,
                "--out",
                certificates,
                "--id",
                served.host,
            ),
            check=True,
            capture_output=True,
            timeout=SERVER_TIMEOUT,
        )
        answer = {
            f"{kind}_pem": (
                certificates / f"lutron_caseta-{served.host}-{kind}.pem"
            ).read_text(encoding="utf-8")
            for kind in ("key", "cert", "ca")
        }
        command += ["--no-lip", "--leap-profile", served.profile]
        command += ["--leap-port", str(LEAP_PORT), "--pairing-port", str(PAIRING_PORT)]
        port = LEAP_PORT
    else:
        answer = {
            "host": served.host,
            "lip_port": served.lip_port,
            "http_port": served.http_port,
            "username": "lutron",
            "password": LIP_PASSWORD,
        }
        command += ["--no-leap", "--lip-port", str(served.lip_port)]
        command += ["--http-port", str(served.http_port), "--password", LIP_PASSWORD]
        port = served.lip_port
    with (folder / "serve.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            tool(*command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        if problem := wait_for_port(process, served.host, port):
            raise HomeAssistantError(
                f"{served.title}: {problem}: "
                + (folder / "serve.log").read_text(encoding="utf-8", errors="replace")
            )
        yield answer
    finally:
        stop(process)


async def add_served(
    client: HomeAssistantClient, served: Served, answer: dict[str, Any]
) -> dict[str, Any]:
    """Add a live entry of `served` through the config flow; return the created entry's result."""
    steps: list[Mapping[str, Any]]
    if served.protocol == "leap":
        steps = [
            {"next_step_id": "leap"},
            {"host": served.host, "have_certificates": True},
            answer,
        ]
    else:
        steps = [{"next_step_id": "live"}, answer]
    result = await client.config_flow(DOMAIN, steps)
    if result["type"] != "create_entry":
        raise HomeAssistantError(f"{served.title}: no entry was created: {result}")
    return result


async def check(python: Path, config_dir: Path, log: Path, scratch: Path) -> list[str]:
    """Run the check against `hass` of `python`; return what broke."""
    port = free_port()
    prepare_config(config_dir, port)
    problems: list[str] = []
    with ExitStack() as servers:
        try:
            answers = [
                servers.enter_context(serving(served, scratch)) for served in SERVED
            ]
        except (HomeAssistantError, subprocess.SubprocessError, OSError) as err:
            return [f"the emulated processors could not be served: {err}"]
        process = start(config_dir, log, python=python)
        try:
            async with aiohttp.ClientSession() as session:
                client = HomeAssistantClient(session, f"http://{LOOPBACK}:{port}")
                await client.wait_until_up(process)
                await client.onboard(DEVELOPMENT_LOGIN)
                await client.wait_until_running()
                version = (await client.request("GET", "/api/config"))["version"]
                say(f"Home Assistant {version} is running on {LOOPBACK}:{port}")
                problems += await check_emulated(client)
                for served, answer in zip(SERVED, answers, strict=True):
                    problems += [
                        f"{served.title}: {problem}"
                        for problem in await check_served(client, served, answer)
                    ]
                problems += stable_on_loopback_problems(
                    await client.http_config(), listening_addresses(process.pid), port
                )
        except HomeAssistantError as err:
            problems.append(str(err))
        finally:
            stop(process)
    problems += [
        f"logged: {line}"
        for line in error_lines(log.read_text(encoding="utf-8", errors="replace"))
        if DOMAIN in line
    ]
    return problems


async def check_emulated(client: HomeAssistantClient) -> list[str]:
    """Add the emulated system; check its devices, entities and a zone."""
    result = await client.add_emulated_system(SYSTEM)
    entry_id = result["result"]["entry_id"]
    problems = []
    if result["result"]["state"] != "loaded":
        problems.append(f"the emulated entry is {result['result']['state']}")
    devices = await client.devices_of(entry_id)
    entities = await client.entities_of(entry_id)
    say(f"added {result['title']}: {len(devices)} devices, {len(entities)} entities")
    names = sorted(str(device["name"]) for device in devices)
    if names != sorted([str(SYSTEM["name"]), "Module 1.1", "Module 1.2"]):
        problems.append(f"devices are {names}")
    problems += check_units(devices, entities)
    problems += await check_states(client, entities)
    problems += await check_zone(client, entities)
    return problems


async def check_served(
    client: HomeAssistantClient, served: Served, answer: dict[str, Any]
) -> list[str]:
    """Add a live entry of `served`; check its devices, entities and a zone."""
    result = await add_served(client, served, answer)
    entry_id = result["result"]["entry_id"]
    problems = []
    if result["result"]["state"] != "loaded":
        problems.append(f"the entry is {result['result']['state']}")
    devices = await client.devices_of(entry_id)
    entities = await client.entities_of(entry_id)
    say(f"added {served.title}: {len(devices)} devices, {len(entities)} entities")
    units = {str(device["name"]) for device in devices if device["via_device_id"]}
    if units != served.unit_names:
        problems.append(f"devices under the processor are {sorted(units)}")
    problems += check_units(devices, entities)
    problems += await check_states(client, entities)
    problems += await check_zone(client, entities)
    return problems


def check_units(
    devices: list[dict[str, Any]], entities: list[dict[str, Any]]
) -> list[str]:
    """Return the module (or area) devices that have no switch: their platform failed for them."""
    return [
        f"{device['name']} has no switch entities"
        for device in devices
        if device["via_device_id"]
        and not any(
            entity["device_id"] == device["id"]
            and entity["entity_id"].startswith("switch.")
            for entity in entities
        )
    ]


async def check_states(
    client: HomeAssistantClient, entities: list[dict[str, Any]]
) -> list[str]:
    """Return the enabled entities whose state is `unavailable` (a live entry's come within STATE_TIMEOUT)."""
    enabled = [
        str(entity["entity_id"]) for entity in entities if not entity["disabled_by"]
    ]
    deadline = time.monotonic() + STATE_TIMEOUT
    while True:
        unavailable = [
            entity_id
            for entity_id in enabled
            if (await client.state(entity_id))["state"] == "unavailable"
        ]
        if not unavailable or time.monotonic() > deadline:
            return [f"{entity_id} is unavailable" for entity_id in unavailable]
        await asyncio.sleep(0.5)


async def check_zone(
    client: HomeAssistantClient, entities: list[dict[str, Any]]
) -> list[str]:
    """Turn a zone on through the switch action (a lighting zone: a CCO pulses a gate); its entity must follow."""
    zones = sorted(
        (str(entity["unique_id"]), str(entity["entity_id"]))
        for entity in entities
        if entity["entity_id"].startswith("switch.")
        and "_zone_" in str(entity["unique_id"])
        and "cco" not in str(entity.get("translation_key"))
    )
    if not zones:
        return ["no switch of a zone"]
    entity_id = zones[0][1]
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
        folder = Path(scratch)
        log = folder / "hass.log"
        problems = asyncio.run(check(python, folder / "config", log, folder))
        if problems:
            print(log.read_text(encoding="utf-8", errors="replace")[-20_000:])  # noqa: T201
            for problem in problems:
                say(f"BROKEN: {problem}")
            return 1
    say("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
