"""Run the development Home Assistant of `scripts/develop` on http://127.0.0.1:8123.

The first run (or any run with `--fresh`, which starts over) onboards Home Assistant with the development login and
adds the example house as an emulated system, all through Home Assistant's APIs. Later runs keep what was changed.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
from typing import Any

import aiohttp

from .dashboard import system_dashboard
from .ha_instance import (
    CONFIGURATION_YAML,
    DEVELOPMENT_LOGIN,
    LOOPBACK,
    ROOT,
    HomeAssistantClient,
    HomeAssistantError,
    listening_addresses,
    prepare_config,
    stable_on_loopback_problems,
    start,
    stop,
)

CONFIG_DIR = CONFIGURATION_YAML.parent
DASHBOARD = "homeworks-qsx"
PORT = 8123
EXAMPLE_HOUSE = ROOT / "examples" / "house.yaml"
EXAMPLE_HOUSE_NAME = "Maple Street house"


def say(message: str) -> None:
    """Print a line of the script's own, set apart from Home Assistant's log."""
    print(f"develop: {message}", flush=True)  # noqa: T201


def port_taken(host: str, port: int) -> str | None:
    """Return why `host`:`port` cannot be listened on, or None when it is free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            return err.strerror or str(err)
    return None


def start_over(config_dir: Path) -> None:
    """Remove everything Home Assistant stored in `config_dir`; keep configuration.yaml."""
    for child in config_dir.iterdir():
        if child.name == CONFIGURATION_YAML.name:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


async def set_up(process: subprocess.Popen[bytes], base_url: str, port: int) -> None:
    """Onboard and add the example house on the first run; check the HTTP settings on every run."""
    async with aiohttp.ClientSession() as session:
        client = HomeAssistantClient(session, base_url)
        await client.wait_until_up(process)
        if not await client.onboarded():
            say("first run: onboarding and adding the example house")
            say(await first_run(client))
        else:
            try:
                await client.log_in(DEVELOPMENT_LOGIN)
            except HomeAssistantError:
                say("the development login was changed: HTTP settings not checked")
                return
        problems = stable_on_loopback_problems(
            await client.http_config(), listening_addresses(process.pid), port
        )
        if problems:
            say("HTTP settings are not stable on loopback: " + "; ".join(problems))
        else:
            say(f"HTTP settings: stable, listening on {LOOPBACK}:{port} only")


async def first_run(client: HomeAssistantClient) -> str:
    """Onboard with the development login, add the example house, and open Home Assistant on its dashboard.

    Returns what was added, in words.
    """
    await client.onboard(DEVELOPMENT_LOGIN)
    await client.wait_until_running()
    result = await client.add_emulated_system(
        {
            "name": EXAMPLE_HOUSE_NAME,
            "model": "hqp7_2",
            "link_1_modules": 0,
            "link_2_modules": 0,
            "description_path": str(EXAMPLE_HOUSE),
            "serve": False,
        }
    )
    entry_id = result["result"]["entry_id"]
    devices = await client.devices_of(entry_id)
    entities = await client.entities_of(entry_id)
    areas = await client.websocket({"type": "config/area_registry/list"})
    await show_at_first_load(client, result["title"], devices, entities, areas)
    return f"added {result['title']}: {len(devices)} devices, {len(entities)} entities"


async def show_at_first_load(
    client: HomeAssistantClient,
    title: str,
    devices: list[dict[str, Any]],
    entities: list[dict[str, Any]],
    areas: list[dict[str, Any]],
) -> None:
    """Make the system's dashboard (see `dashboard.py`), the one Home Assistant opens on."""
    await client.websocket(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "HomeWorks QSX",
            "icon": "mdi:lightbulb-group",
            "mode": "storage",
            "show_in_sidebar": True,
            "require_admin": False,
        }
    )
    await client.websocket(
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD,
            "config": system_dashboard(title, devices, entities, areas),
        }
    )
    await client.websocket(
        {
            "type": "frontend/set_system_data",
            "key": "core",
            "value": {"default_panel": DASHBOARD},
        }
    )


def main() -> int:
    """Start Home Assistant, set it up, and run until it stops (Ctrl+C stops it)."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start over: forget users, systems and history",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=CONFIG_DIR,
        metavar="DIR",
        help="configuration folder (default: config/ of the repository)",
    )
    parser.add_argument(
        "--port", type=int, default=PORT, help=f"HTTP port (default {PORT})"
    )
    args = parser.parse_args()
    config_dir: Path = args.config
    port: int = args.port
    if problem := port_taken(LOOPBACK, port):
        say(
            f"{LOOPBACK}:{port} is taken ({problem}): is another Home Assistant running?"
        )
        return 1
    if args.fresh and config_dir.is_dir():
        say(f"starting over in {config_dir}")
        start_over(config_dir)
    prepare_config(config_dir, port)
    base_url = f"http://{LOOPBACK}:{port}"
    process = start(config_dir, None)
    # Ctrl+C reaches Home Assistant through the terminal; a TERM sent to this script is passed on.
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        asyncio.run(set_up(process, base_url, port))
        say(
            f"ready: {base_url} - log in as {DEVELOPMENT_LOGIN.username!r}, "
            f"password {DEVELOPMENT_LOGIN.password!r} (local development only). Ctrl+C stops it."
        )
        return process.wait()
    except KeyboardInterrupt:
        return process.wait()
    except HomeAssistantError as err:
        say(f"failed: {err}")
        stop(process)
        return 1


if __name__ == "__main__":
    sys.exit(main())
