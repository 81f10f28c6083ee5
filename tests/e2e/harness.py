"""Helpers of the end-to-end browser test: the system's Chromium and the `hass` process."""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import subprocess

from playwright.async_api import BrowserContext, Playwright

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
SCREENSHOTS = Path(
    os.environ.get("HOMEWORKS_E2E_SCREENSHOTS", Path(__file__).parent / "screenshots")
)


@dataclass(frozen=True, slots=True)
class RunningHomeAssistant:
    """A `hass` process started for the test."""

    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    config_dir: Path
    log: Path


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
