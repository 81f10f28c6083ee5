"""Fixtures of the end-to-end browser test: a real `hass` process on loopback and headless Chromium.

This directory runs in its own pytest invocation (see scripts/test): `--confcutdir tests/e2e` keeps the shared
tests/conftest.py out and `-p no:homeassistant` keeps pytest-homeassistant-custom-component's socket blocking and
in-process Home Assistant out, since Home Assistant runs here as a separate process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
import shutil

import aiohttp
from playwright.async_api import Playwright, async_playwright
import pytest

from scripts.ha_instance import LOOPBACK, free_port, prepare_config, start, stop

from .harness import CHROMIUM, HASS_PYTHON, SCREENSHOTS, RunningHomeAssistant


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Return the folder of this run's screenshots, emptied first."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir()
    return SCREENSHOTS


@pytest.fixture(scope="session")
def home_assistant(
    tmp_path_factory: pytest.TempPathFactory, screenshots: Path
) -> Iterator[RunningHomeAssistant]:
    """Start `hass` once, on a free loopback port with its own configuration; stop it after the tests."""
    config_dir = tmp_path_factory.mktemp("hass-config")
    port = free_port()
    prepare_config(config_dir, port)
    log = screenshots / "hass.log"
    process = start(config_dir, log, python=Path(HASS_PYTHON) if HASS_PYTHON else None)
    try:
        yield RunningHomeAssistant(
            process, f"http://{LOOPBACK}:{port}", port, config_dir, log
        )
    finally:
        stop(process)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Open an HTTP client session for Home Assistant's APIs."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def playwright() -> AsyncIterator[Playwright]:
    """Start Playwright, which drives the system's Chromium."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup installs Debian's chromium")
    async with async_playwright() as driver:
        yield driver
