"""What a person sees in the browser: Home Assistant's frontend in headless Chromium against a real `hass`.

One Home Assistant start; the steps follow each other as a person would take them, and each leaves a screenshot in
tests/e2e/screenshots/ (git-ignored). Every wait is bounded: Playwright's per-action time-outs, the API polls' own
limits, and the test's overall time-out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
import time
from typing import Any

import aiohttp
from playwright.async_api import BrowserContext, Page, Playwright, expect
import pytest

from scripts.develop import first_run
from scripts.ha_instance import (
    DEVELOPMENT_LOGIN,
    HomeAssistantClient,
    listening_addresses,
    stable_on_loopback_problems,
)

from .harness import RunningHomeAssistant, open_browser

SYSTEM_NAME = "E2E house"
ZONE_NAMES = ["Zone 1", "Zone 2", "Zone 3", "Zone 4"]
MODULE_ENTITY_NAMES = [
    *ZONE_NAMES,
    "Contact closure output",
    "Manual override input",
    "Operating mode",
    "Temperature",
    "Load current",
    "QS link",
    "High temperature",
]
PROCESSOR_ENTITY_NAMES = [
    "Connection",
    "Link 1 devices",
    "Link 1 zones",
    "Link 2 devices",
    "Link 2 zones",
]
POLL_TIMEOUT = 20.0


class Steps:
    """Numbered screenshots of the steps, in the test's folder."""

    def __init__(self, folder: Path) -> None:
        """Write to `folder`."""
        self.folder = folder
        self.count = 0
        self.translation_errors: dict[str, int] = {}

    async def shot(self, page: Page, name: str) -> None:
        """Save what the page shows now as `NN-name.png`; count the frontend's translation errors on it."""
        self.count += 1
        if errors := await page.get_by_text("Translation error").count():
            self.translation_errors[name] = errors
        await page.screenshot(
            path=self.folder / f"{self.count:02d}-{name}.png", full_page=True
        )


async def poll[T](
    read: Callable[[], Awaitable[T]], done: Callable[[T], bool], what: str
) -> T:
    """Read until `done` holds, for at most POLL_TIMEOUT seconds; fail naming `what` and the last value."""
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        value = await read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still {value!r} after {POLL_TIMEOUT} s")
        await asyncio.sleep(0.25)


async def log_in(page: Page, base_url: str) -> None:
    """Log in on Home Assistant's login page; its fields are found by name, so any language works."""
    await page.goto(f"{base_url}/")
    await page.locator("input[name=username]").fill(DEVELOPMENT_LOGIN.username)
    await page.locator("input[name=password]").fill(DEVELOPMENT_LOGIN.password)
    await page.locator("input[name=password]").press("Enter")
    await expect(page.locator("home-assistant-main")).to_be_visible()


async def open_device(page: Page, *texts: str) -> None:
    """Open Settings → Devices & services → Devices, and the device whose row shows all `texts`."""
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name="Devices & services").click()
    # A link around a tab up to the 2026.10 frontend, a link alone from 2026.11 on.
    await (
        page.get_by_role("tab", name="Devices")
        .or_(page.get_by_role("link", name="Devices", exact=True))
        .first.click()
    )
    rows = page.get_by_role("row")
    for text in texts:
        rows = rows.filter(has_text=text)
    await rows.click()
    await expect(page.get_by_text("Device info")).to_be_visible()


async def diagnostics(client: HomeAssistantClient, entry_id: str) -> dict[str, Any]:
    """Return the config entry's diagnostics download: the emulator's own model and state."""
    download = await client.request("GET", f"/api/diagnostics/config_entry/{entry_id}")
    data: dict[str, Any] = download["data"]
    return data


@pytest.mark.timeout(300)
async def test_newcomer_in_the_browser(
    home_assistant: RunningHomeAssistant,
    http: aiohttp.ClientSession,
    playwright: Playwright,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    """Add an emulated system in the UI, see and use its devices, add a module, and read the flow in French."""
    base_url = home_assistant.base_url
    client = HomeAssistantClient(http, base_url)
    await client.wait_until_up(home_assistant.process)
    # What scripts/develop does on its first run: onboarding, the example house, its dashboard.
    await first_run(client)
    steps = Steps(screenshots)

    context = await open_browser(playwright, tmp_path / "profile-en")
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        try:
            await log_in(page, base_url)
            await see_the_example_house(page)
            await steps.shot(page, "first-load-example-house")
            entry_id = await add_system_in_the_ui(page, steps)
            await see_the_devices(page, steps)
            await toggle_a_zone(page, steps, client, entry_id)
            await add_a_module_in_the_options(page, steps, client, entry_id)
        except Exception:
            await steps.shot(page, "failed-here")
            raise
    finally:
        await context.close()

    await first_step_in_french(playwright, tmp_path / "profile-fr", base_url, steps)

    # Every text the frontend shows parses (a "<word>" in a translation reads as an unclosed tag).
    assert steps.translation_errors == {}

    # The HTTP settings are the confirmed ones, on loopback only: no trial that reverts in five minutes.
    assert not stable_on_loopback_problems(
        await client.http_config(),
        listening_addresses(home_assistant.process.pid),
        home_assistant.port,
    )


async def see_the_example_house(page: Page) -> None:
    """Home Assistant opens on the example house: its processor and modules with their entities."""
    await expect(page.get_by_text("Maple Street house").first).to_be_visible()
    for card in ("Kitchen panel", "Hall panel", "Living room panel", "Garage panel"):
        await expect(page.get_by_text(card, exact=True)).to_be_visible()
    await expect(page.get_by_text("Kitchen panel Island pendants")).to_be_visible()


async def add_system_in_the_ui(page: Page, steps: Steps) -> str:
    """Add the system from Settings → Devices & services → Add integration: a bad file first, then two modules."""
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name="Devices & services").click()
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("HomeWorks")
    await steps.shot(page, "search-homeworks")
    await page.get_by_role("button", name="Lutron HomeWorks QSX").click()
    # The three ways to run, as the translations name them, in the description's order.
    choices = (
        "HomeWorks QSX processor over LEAP (recommended)",
        "HomeWorks QSX processor over LIP (telnet integration)",
        "Emulated system (no hardware)",
    )
    for choice in choices:
        await expect(page.get_by_text(choice, exact=True)).to_be_visible()
    shown = await page.locator("ha-list-item, ha-md-list-item").all_inner_texts()
    assert [text.strip() for text in shown if text.strip() in choices] == list(choices)
    await steps.shot(page, "choose-emulated")
    await page.get_by_text("Emulated system (no hardware)").click()

    # A description file that does not exist: the translated error, in the dialog.
    await page.get_by_role("textbox", name="Name").fill(SYSTEM_NAME)
    await page.get_by_role("textbox", name="System description file").fill(
        "/nonexistent/house.yaml"
    )
    await page.get_by_role("button", name="Submit").click()
    await expect(
        page.get_by_text(
            "Invalid system: /nonexistent/house.yaml: cannot read the file"
        )
    ).to_be_visible()
    await steps.shot(page, "form-error-invalid-file")

    await page.get_by_role("textbox", name="System description file").fill("")
    await page.get_by_role("spinbutton", name="Modules on link 1").fill("1")
    await page.get_by_role("spinbutton", name="Modules on link 2").fill("1")
    await steps.shot(page, "form-two-modules")
    await page.get_by_role("button", name="Submit").click()

    # Success: the new devices, ready to be named and placed.
    device_names = page.get_by_role("textbox", name="Device name")
    await expect(device_names).to_have_count(3)
    assert await device_names.evaluate_all("fields => fields.map(f => f.value)") == [
        SYSTEM_NAME,
        "Module 1.1",
        "Module 2.1",
    ]
    await steps.shot(page, "success-devices")
    await page.get_by_role("button", name="Skip and finish").click()
    return await entry_id_of(page)


async def entry_id_of(page: Page) -> str:
    """Return the config entry of the system, as the frontend's own connection reports it."""
    entries: list[dict[str, Any]] = await page.evaluate(
        """() => document.querySelector("home-assistant").hass.callWS(
               {type: "config_entries/get", domain: "homeworks_qsx"})"""
    )
    (entry,) = [entry for entry in entries if entry["title"] == SYSTEM_NAME]
    entry_id: str = entry["entry_id"]
    return entry_id


async def see_the_devices(page: Page, steps: Steps) -> None:
    """Open the processor's and a module's device pages: their entities show by their translated names."""
    await open_device(page, SYSTEM_NAME, "HomeWorks QSX processor")
    for name in PROCESSOR_ENTITY_NAMES:
        await expect(page.get_by_text(name, exact=True).first).to_be_visible()
    await steps.shot(page, "processor-device")

    await open_device(page, "Module 1.1", "Switching power module")
    for name in MODULE_ENTITY_NAMES:
        await expect(page.get_by_text(name, exact=True).first).to_be_visible()
    await expect(page.get_by_text("Controls", exact=True)).to_be_visible()
    await expect(page.get_by_text("Sensors", exact=True)).to_be_visible()
    await expect(page.get_by_text("Diagnostic", exact=True)).to_be_visible()
    await steps.shot(page, "module-device")


async def toggle_a_zone(
    page: Page, steps: Steps, client: HomeAssistantClient, entry_id: str
) -> None:
    """Turn zone 1 on from the module's page: Home Assistant and the emulator follow."""
    entity_id = "switch.module_1_1_zone_1"
    assert (await client.state(entity_id))["state"] == "off"
    row = page.locator("hui-toggle-entity-row", has_text="Zone 1")
    await expect(row.get_by_role("switch")).not_to_be_checked()
    await row.locator("ha-switch").click()
    await expect(row.get_by_role("switch")).to_be_checked()
    await poll(
        lambda: client.state(entity_id),
        lambda state: state["state"] == "on",
        f"{entity_id} after the click",
    )
    serial = next(
        module["serial"]
        for module in (await diagnostics(client, entry_id))["system"]["modules"]
        if module["name"] == "Module 1.1"
    )
    emulated = await poll(
        lambda: diagnostics(client, entry_id),
        lambda data: data["states"][serial]["zones"][0]["on"],
        "the emulator's zone 1",
    )
    assert emulated["states"][serial]["zones"][0]["relay_operations"] == 1
    await steps.shot(page, "zone-1-on")


async def add_a_module_in_the_options(
    page: Page, steps: Steps, client: HomeAssistantClient, entry_id: str
) -> None:
    """Add a module in the options flow; its device appears."""
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name="Devices & services").click()
    await page.get_by_role("link", name="Lutron HomeWorks QSX").click()
    await page.get_by_role("button", name="Configure").first.click()
    await expect(page.get_by_text("Add a module")).to_be_visible()
    await steps.shot(page, "options-menu")
    await page.get_by_text("Add a module").click()
    await page.get_by_role("textbox", name="Name").fill("Porch panel")
    await steps.shot(page, "options-add-module")
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_role("button", name="Finish").click()

    await open_device(page, "Porch panel", "Switching power module")
    for name in ZONE_NAMES:
        await expect(page.get_by_text(name, exact=True).first).to_be_visible()
    await steps.shot(page, "new-module-device")
    devices = await client.devices_of(entry_id)
    assert sorted(device["name"] for device in devices) == [
        SYSTEM_NAME,
        "Module 1.1",
        "Module 2.1",
        "Porch panel",
    ]


async def first_step_in_french(
    playwright: Playwright, profile: Path, base_url: str, steps: Steps
) -> None:
    """Open the config flow in a French browser: its first step is in French."""
    context: BrowserContext = await open_browser(playwright, profile, locale="fr-FR")
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        await log_in(page, base_url)
        await page.goto(
            f"{base_url}/config/integrations/dashboard/add?domain=homeworks_qsx"
        )
        # The link asks first: « Voulez-vous configurer Lutron HomeWorks QSX ? »
        await expect(page.get_by_text("Lutron HomeWorks QSX ?")).to_be_visible()
        await page.get_by_role("button", name="OK").click()
        await expect(page.get_by_text("Système émulé (sans matériel)")).to_be_visible()
        await expect(
            page.get_by_text("Processeur HomeWorks QSX par LEAP (recommandé)")
        ).to_be_visible()
        await expect(
            page.get_by_text("faites tourner un système émulé dans Home Assistant")
        ).to_be_visible()
        await steps.shot(page, "first-step-in-french")
    finally:
        await context.close()
