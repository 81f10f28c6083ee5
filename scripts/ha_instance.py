"""A Home Assistant run as its own process on loopback, set up through its own APIs.

Used by `scripts/develop`, the end-to-end browser test and the newest-release check. Everything goes through Home
Assistant's onboarding, auth, config flow, REST and websocket APIs, except the HTTP settings: since 2026.10 Home
Assistant keeps them in its storage (`.storage/http`, a confirmed `stable` slot and an unconfirmed `pending` one)
and treats `http:` in configuration.yaml as a trial that reverts after five minutes unless confirmed. No API can set
them before the server is up, so they are written to the `stable` slot before the first start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
import itertools
import json
import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys
import time
from typing import Any, cast

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "homeworks_qsx"
CONFIGURATION_YAML = ROOT / "config" / "configuration.yaml"
BLUEPRINTS = ROOT / "blueprints" / "automation" / "homeworks_qsx"
DOMAIN = "homeworks_qsx"
LOOPBACK = "127.0.0.1"

# Home Assistant's HTTP settings store (homeassistant/components/http/config.py): key, version and slots.
HTTP_STORE_KEY = "http"
HTTP_STORE_VERSION = 2
HTTP_STORE_MINOR_VERSION = 2
START_TIMEOUT = 120.0
# A line of Home Assistant's log: date, time, level, (thread) [logger] message.
LOG_ERROR_LINE = re.compile(r"^\d{4}-\d\d-\d\d \S+ ERROR ")
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60)


@dataclass(frozen=True, slots=True)
class Login:
    """A Home Assistant user: display name, username, password."""

    name: str
    username: str
    password: str


# Local development only: the instance listens on 127.0.0.1.
DEVELOPMENT_LOGIN = Login("Developer", "dev", "homeworks-dev")


class HomeAssistantError(RuntimeError):
    """Home Assistant did not start or answered an API call with an error."""


def http_settings(host: str, port: int) -> dict[str, Any]:
    """Return the HTTP settings, in the shape of Home Assistant's storage schema with its defaults."""
    return {
        "server_host": [host],
        "server_port": port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
    }


def error_lines(log: str) -> list[str]:
    """Return the ERROR lines of a Home Assistant log."""
    return [line for line in log.splitlines() if LOG_ERROR_LINE.match(line)]


def free_port() -> int:
    """Return a TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def write_http_settings(config_dir: Path, host: str, port: int) -> None:
    """Store `host`:`port` as the confirmed (stable) HTTP settings, with nothing pending and no YAML to migrate."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).isoformat()
    document = {
        "version": HTTP_STORE_VERSION,
        "minor_version": HTTP_STORE_MINOR_VERSION,
        "key": HTTP_STORE_KEY,
        "data": {
            "stable": {
                **http_settings(host, port),
                "created_at": now,
                "error": None,
                "error_message": None,
            },
            "pending": None,
            "yaml_migration_done": True,
        },
    }
    target = storage / HTTP_STORE_KEY
    scratch = target.with_suffix(".tmp")
    # Home Assistant keeps this store private (mode 0600).
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=2)
    scratch.replace(target)


def link_to(link: Path, target: Path) -> None:
    """Make `link` a link to the folder `target`; a folder of the user's own there is left alone."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        return
    link.symlink_to(target, target_is_directory=True)


def prepare_config(config_dir: Path, port: int) -> None:
    """Lay out a configuration directory: configuration.yaml, the integration, its blueprints, and HTTP settings."""
    config_dir.mkdir(parents=True, exist_ok=True)
    if config_dir.resolve() != CONFIGURATION_YAML.parent.resolve():
        shutil.copyfile(CONFIGURATION_YAML, config_dir / "configuration.yaml")
    link_to(config_dir / "custom_components" / DOMAIN, INTEGRATION)
    # The project's blueprints, where Home Assistant lists them (it adds its own beside them on the first start).
    link_to(config_dir / "blueprints" / "automation" / DOMAIN, BLUEPRINTS)
    write_http_settings(config_dir, LOOPBACK, port)


def start(
    config_dir: Path, log_path: Path | None, python: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `hass` on `config_dir` with `python` (default: this one); its output goes to `log_path`, else here.

    `--skip-pip`: Home Assistant never installs packages at run time, so the environment stays the locked one.
    """
    env = dict(os.environ)
    include = ROOT / ".python" / "root" / "usr" / "include"
    if include.is_dir():
        env["CPATH"] = os.pathsep.join(filter(None, [str(include), env.get("CPATH")]))
    command = [
        str(python or sys.executable),
        "-m",
        "homeassistant",
        "--config",
        str(config_dir),
        "--skip-pip",
    ]
    if log_path is None:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, env=env)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Stop `hass` as Ctrl+C does, and kill it when it does not stop within `timeout` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """Return the (address, port) pairs the process `pid` listens on over TCP."""
    return {
        (connection.laddr.ip, connection.laddr.port)
        for connection in psutil.Process(pid).net_connections(kind="tcp")
        if connection.status == psutil.CONN_LISTEN
    }


class HomeAssistantClient:
    """Talks to a running Home Assistant through its HTTP and websocket APIs."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Use `session` for the instance at `base_url` (no trailing slash)."""
        self.session = session
        self.base_url = base_url
        self.client_id = f"{base_url}/"
        self.token: str | None = None
        self._message_ids = itertools.count(1)

    async def wait_until_up(
        self, process: subprocess.Popen[bytes], timeout: float = START_TIMEOUT
    ) -> None:
        """Wait until the HTTP server answers, at most `timeout` seconds; fail at once when `hass` exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (code := process.poll()) is not None:
                raise HomeAssistantError(f"hass exited with code {code} while starting")
            try:
                async with self.session.get(
                    f"{self.base_url}/api/onboarding",
                    timeout=aiohttp.ClientTimeout(total=5),
                ) as response:
                    # 404 once onboarding is done: Home Assistant then drops the onboarding views.
                    if response.status in {200, 404}:
                        return
            except aiohttp.ClientError, TimeoutError:
                pass
            await asyncio.sleep(0.5)
        raise HomeAssistantError(f"{self.base_url} did not answer within {timeout} s")

    async def wait_until_running(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until Home Assistant has finished starting (state RUNNING), at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            config = await self.request("GET", "/api/config")
            if config.get("state") == "RUNNING":
                return
            await asyncio.sleep(0.5)
        raise HomeAssistantError(f"Home Assistant not running within {timeout} s")

    async def onboarded(self) -> bool:
        """Return whether every onboarding step is done."""
        async with self.session.get(
            f"{self.base_url}/api/onboarding", timeout=REQUEST_TIMEOUT
        ) as response:
            if response.status == 404:
                return True  # the onboarding views are gone once every step is done
            steps = await response.json()
        return all(step["done"] for step in steps)

    async def onboard(self, login: Login, language: str = "en") -> None:
        """Go through onboarding as the frontend does: owner, core config, analytics, integrations.

        The owner's access token is kept for the calls that follow.
        """
        created = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": login.name,
                "username": login.username,
                "password": login.password,
                "language": language,
            },
            authenticated=False,
        )
        await self._exchange(created["auth_code"])
        await self.request("POST", "/api/onboarding/core_config", {})
        await self.request("POST", "/api/onboarding/analytics", {})
        await self.request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": self.client_id, "redirect_uri": self.client_id},
        )

    async def log_in(self, login: Login) -> None:
        """Log in with `login` through the login flow, as the frontend's login page does."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
            authenticated=False,
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "client_id": self.client_id,
                "username": login.username,
                "password": login.password,
            },
            authenticated=False,
        )
        if result.get("type") != "create_entry":
            raise HomeAssistantError(f"login refused: {result.get('errors')}")
        await self._exchange(result["result"])

    async def _exchange(self, code: str) -> None:
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
            timeout=REQUEST_TIMEOUT,
        ) as response:
            if response.status != 200:
                raise HomeAssistantError(
                    f"token exchange failed: {response.status} {await response.text()}"
                )
            self.token = (await response.json())["access_token"]

    async def request(
        self,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None = None,
        *,
        authenticated: bool = True,
    ) -> Any:
        """Call the REST API; return the decoded JSON answer, or raise with the status and body."""
        headers = {}
        if authenticated:
            if self.token is None:
                raise HomeAssistantError("not logged in")
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.session.request(
            method,
            f"{self.base_url}{path}",
            json=payload,
            headers=headers,
            timeout=REQUEST_TIMEOUT,
        ) as response:
            if response.status >= 400:
                raise HomeAssistantError(
                    f"{method} {path}: {response.status} {await response.text()}"
                )
            return await response.json()

    async def websocket(self, message: Mapping[str, Any]) -> Any:
        """Send one websocket command and return its result, or raise with the error it answered."""
        async with self.session.ws_connect(
            f"{self.base_url}/api/websocket",
            timeout=aiohttp.ClientWSTimeout(ws_close=10),
        ) as socket:
            await socket.receive_json(timeout=30)  # auth_required
            await socket.send_json({"type": "auth", "access_token": self.token})
            auth = await socket.receive_json(timeout=30)
            if auth["type"] != "auth_ok":
                raise HomeAssistantError(f"websocket login refused: {auth}")
            message_id = next(self._message_ids)
            await socket.send_json({**message, "id": message_id})
            # Nothing is subscribed on this connection: the next message is the answer.
            answer = await socket.receive_json(timeout=60)
        if answer.get("id") != message_id or answer["type"] != "result":
            raise HomeAssistantError(f"{message['type']}: unexpected answer {answer}")
        if not answer["success"]:
            raise HomeAssistantError(f"{message['type']}: {answer['error']}")
        return answer["result"]

    async def config_flow(
        self, handler: str, steps: list[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Start `handler`'s config flow and answer its steps in order; return the last result."""
        result = cast(
            "dict[str, Any]",
            await self.request(
                "POST",
                "/api/config/config_entries/flow",
                {"handler": handler, "show_advanced_options": False},
            ),
        )
        for answer in steps:
            result = await self.request(
                "POST", f"/api/config/config_entries/flow/{result['flow_id']}", answer
            )
        return result

    async def add_emulated_system(
        self, user_input: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Add an emulated system through the config flow; return the created entry's result."""
        result = await self.config_flow(
            DOMAIN, [{"next_step_id": "emulated"}, user_input]
        )
        if result["type"] != "create_entry":
            raise HomeAssistantError(
                f"the config flow did not create an entry: {result}"
            )
        return result

    async def http_config(self) -> dict[str, Any]:
        """Return Home Assistant's HTTP settings: the stable and pending slots and the slot in use."""
        return cast("dict[str, Any]", await self.websocket({"type": "http/config"}))

    async def entities_of(self, entry_id: str) -> list[dict[str, Any]]:
        """Return the entity registry entries of a config entry."""
        entities = await self.websocket({"type": "config/entity_registry/list"})
        return [entity for entity in entities if entity["config_entry_id"] == entry_id]

    async def devices_of(self, entry_id: str) -> list[dict[str, Any]]:
        """Return the device registry entries of a config entry."""
        devices = await self.websocket({"type": "config/device_registry/list"})
        return [device for device in devices if entry_id in device["config_entries"]]

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object."""
        return cast(
            "dict[str, Any]", await self.request("GET", f"/api/states/{entity_id}")
        )


def stable_on_loopback_problems(
    http_config: Mapping[str, Any], listening: set[tuple[str, int]], port: int
) -> list[str]:
    """Say what keeps the HTTP settings from being stable on 127.0.0.1:`port`; empty when nothing does."""
    problems = []
    if http_config["active_config_type"] != "stable":
        problems.append(
            f"the server runs on the {http_config['active_config_type']} settings"
        )
    if http_config["pending"] is not None:
        problems.append(f"settings are pending: {http_config['pending']}")
    if http_config["revert_at"] is not None:
        problems.append(f"a revert is scheduled at {http_config['revert_at']}")
    stable = http_config["stable"]
    if stable.get("server_host") != [LOOPBACK] or stable.get("server_port") != port:
        problems.append(f"stable settings are {stable}")
    if listening != {(LOOPBACK, port)}:
        problems.append(f"hass listens on {sorted(listening)}")
    return problems
