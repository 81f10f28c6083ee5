"""Helpers of the end-to-end browser test: the system's Chromium, the `hass` process, free ports."""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import socket
import subprocess

from playwright.async_api import BrowserContext, Playwright

from scripts.ha_instance import LOOPBACK

# Debian's chromium: Playwright cannot download its own browser builds here.
CHROMIUM = Path(os.environ.get("HOMEWORKS_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Another Home Assistant to test against (the newest-release check): the Python of its environment.
HASS_PYTHON = os.environ.get("HOMEWORKS_E2E_HASS_PYTHON")
SCREENSHOTS = Path(__file__).parent / "screenshots"


@dataclass(frozen=True, slots=True)
class RunningHomeAssistant:
    """A `hass` process started for the test."""

    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    config_dir: Path
    log: Path


def free_port() -> int:
    """Return a TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


async def open_browser(
    driver: Playwright, profile: Path, locale: str = "en-US"
) -> BrowserContext:
    """Open headless Chromium on an empty profile, in `locale`, with a bounded time for every action."""
    context = await driver.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
        locale=locale,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(20_000)
    context.set_default_navigation_timeout(30_000)
    return context
