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
from urllib.parse import quote

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
AREA = "Living Room"  # one of the areas onboarding makes
SILENT_HOST = "127.0.0.9"  # takes connections on the pairing port and never answers
# A house with a keypad whose first button turns the hall lights on (docs/system-description.md).
KEYPAD_HOUSE = """\
name: Keypad house
processor: {serial: "4B455950", model: HQP7-2}
modules:
  - {link: 1, address: 1, name: Hall panel, area: Hall, zones: [{name: Hall lights, watts: 100}]}
keypads:
  - link: 1
    address: 2
    name: Hall keypad
    area: Hall
    buttons:
      - {engraving: Welcome, programming: {model: single_action, targets: [{output: 11, level: 100}]}}
      - {engraving: Goodbye, programming: {model: single_action, targets: [{output: 11, level: 0}]}}
"""
KEYPAD_EVENT = "event.hall_keypad_welcome"
HALL_LIGHTS = "switch.hall_panel_hall_lights"


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


@pytest.mark.timeout(420)
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
            await pulse_the_gate_from_its_module_page(page, steps, client)
            await press_a_keypad_button(page, steps, client, tmp_path)
            entry_id = await add_system_in_the_ui(page, steps)
            await see_the_devices(page, steps)
            await toggle_a_zone(page, steps, client, entry_id)
            await add_a_module_in_the_options(page, steps, client, entry_id)
            await remove_a_module_in_the_options(page, steps, client, entry_id)
            await zone_names_in_the_options(page, steps)
            await pairing_port_that_never_answers(page, steps)
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
    """Home Assistant opens on the example house: its processor and modules, controls first.

    Rows are named by the entity alone (the card names the module), and a module's contact closure output is on a
    card of its own without a header toggle, while the zones' card keeps its toggle.
    """
    await expect(page.get_by_text("Maple Street house").first).to_be_visible()
    for card in ("Kitchen panel", "Hall panel", "Living room panel", "Garage panel"):
        await expect(page.get_by_text(card, exact=True)).to_be_visible()
    await expect(page.get_by_text("Island pendants", exact=True)).to_be_visible()
    await expect(
        page.get_by_text("Kitchen panel Island pendants", exact=True)
    ).to_have_count(0)
    zones = page.locator("hui-entities-card", has_text="Island pendants")
    await expect(zones.locator("hui-entities-toggle")).to_have_count(1)
    cco = page.locator("hui-entities-card", has_text="Pulse Gate opener")
    await expect(cco.get_by_text("Contact closure output", exact=True)).to_be_visible()
    await expect(cco.get_by_text("Gate opener", exact=True)).to_be_visible()
    await expect(cco.locator("hui-entities-toggle")).to_have_count(0)
    # Diagnostics are on a view of their own.
    await expect(page.get_by_text("Operating mode")).to_have_count(0)


async def pulse_the_gate_from_its_module_page(
    page: Page, steps: Steps, client: HomeAssistantClient
) -> None:
    """Press the kitchen panel's Pulse button on its page: the gate opener's contact closes, then opens."""
    gate = "switch.kitchen_panel_gate_opener"
    pulse = "button.kitchen_panel_pulse_gate_opener"
    assert (await client.state(pulse))["state"] == "unknown"
    started = (await client.state(gate))["last_changed"]
    await open_device(page, "Kitchen panel", "Switching power module")
    row = page.locator("hui-button-entity-row", has_text="Pulse Gate opener")
    await steps.shot(page, "kitchen-panel-device")
    await row.get_by_role("button", name="Press").click()
    await poll(
        lambda: client.state(pulse),
        lambda state: state["state"] != "unknown",
        f"{pulse} after the click",
    )
    # The pulse (1.5 s) closed the contact and opened it again: on, then off, in the switch's history.
    history = await poll(
        lambda: client.request(
            "GET",
            f"/api/history/period/{quote(started)}?filter_entity_id={gate}&minimal_response",
        ),
        # Empty until the recorder commits (every few seconds): keep reading then.
        lambda periods: (
            bool(periods)
            and [state["state"] for state in periods[0]][-2:] == ["on", "off"]
        ),
        f"{gate}'s history after the pulse",
    )
    assert [state["state"] for state in history[0]][-2:] == ["on", "off"]


async def press_a_keypad_button(
    page: Page, steps: Steps, client: HomeAssistantClient, folder: Path
) -> None:
    """Press a keypad's button on its device page: the button's event shows, and its scene turns the light on.

    The keypad's house is added as the example house is, from a description file.
    """
    description = folder / "keypad-house.yaml"
    description.write_text(KEYPAD_HOUSE, encoding="utf-8")
    await client.add_emulated_system(
        {
            "name": "Keypad house",
            "model": "hqp7_2",
            "link_1_modules": 0,
            "link_2_modules": 0,
            "description_path": str(description),
            "serve": False,
        }
    )
    assert (await client.state(KEYPAD_EVENT))["state"] == "unknown"
    assert (await client.state(HALL_LIGHTS))["state"] == "off"
    await open_device(page, "Hall keypad")
    row = page.locator("hui-button-entity-row", has_text="Welcome")
    await steps.shot(page, "keypad-device")
    await row.get_by_role("button", name="Press").click()
    # LP38, LP39: a tap is a press then a release; the event entity shows the last.
    event = await poll(
        lambda: client.state(KEYPAD_EVENT),
        lambda state: state["attributes"].get("event_type") == "release",
        f"{KEYPAD_EVENT} after the click",
    )
    assert event["state"] != "unknown"
    await poll(
        lambda: client.state(HALL_LIGHTS),
        lambda state: state["state"] == "on",
        f"{HALL_LIGHTS} after the scene",
    )
    # The device page's activity shows the button's press and release, and its LED lit by the scene (LP42).
    activity = page.locator("ha-logbook")
    for text in ("Press", "Release", "Welcome LED"):
        await expect(activity.get_by_text(text, exact=True).first).to_be_visible()
    await steps.shot(page, "keypad-event")


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
    # The area is chosen among Home Assistant's areas, not typed.
    await choose(page, "Area", AREA)
    await steps.shot(page, "options-add-module")
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_role("button", name="Finish").click()

    await open_device(page, "Porch panel", "Switching power module")
    for name in ZONE_NAMES:
        await expect(page.get_by_text(name, exact=True).first).to_be_visible()
    await expect(page.get_by_text(AREA).first).to_be_visible()
    await steps.shot(page, "new-module-device")
    devices = await client.devices_of(entry_id)
    assert sorted(device["name"] for device in devices) == [
        SYSTEM_NAME,
        "Module 1.1",
        "Module 2.1",
        "Porch panel",
    ]
    (porch,) = [device for device in devices if device["name"] == "Porch panel"]
    assert porch["area_id"] is not None


async def open_options(page: Page, title: str) -> None:
    """Open Settings → Devices & services → the integration, and the options of the entry named `title`."""
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name="Devices & services").click()
    await page.get_by_role("link", name="Lutron HomeWorks QSX").click()
    entry = page.locator("ha-md-list-item, ha-list-item, ha-config-entry-row").filter(
        has_text=title
    )
    await entry.get_by_role("button", name="Configure").first.click()
    await expect(page.get_by_text("Remove modules")).to_be_visible()


async def choose(page: Page, field: str, option: str) -> None:
    """Pick `option` in the form's drop-down or picker labelled `field`."""
    toolbar = page.get_by_role("toolbar", name=field, exact=True)
    if await toolbar.count():
        # From the 2026.11 frontend on, a multiple choice is a toolbar named after the field with an "Add" button.
        await toolbar.get_by_role("button", name="Add", exact=True).click()
    else:
        # Up to 2026.10 it starts as a button named after the field, with no chip: nothing chosen.
        await (
            page.get_by_label(field, exact=True)
            .or_(page.get_by_role("button", name=field, exact=True))
            .first.click()
        )
    # A drop-down lists options; a picker (areas, several modules) lists items under a search field.
    await (
        page.get_by_role("option", name=option)
        .or_(page.locator("ha-combo-box-item", has_text=option))
        .first.click()
    )


async def close_dialog(page: Page, title: str) -> None:
    """Close the flow's dialog titled `title` with its close button (the flow is left unfinished)."""
    await page.get_by_role("button", name="Close").first.click()
    await expect(page.get_by_text(title, exact=True)).to_be_hidden()


async def remove_a_module_in_the_options(
    page: Page, steps: Steps, client: HomeAssistantClient, entry_id: str
) -> None:
    """Remove a module: nothing is chosen beforehand, a confirmation names it, the result says it was removed."""
    await open_options(page, SYSTEM_NAME)
    await page.get_by_text("Remove modules").click()
    await expect(page.get_by_text("Choose the modules to remove")).to_be_visible()
    # Nothing chosen: submitting asks for a choice and removes nothing.
    await page.get_by_role("button", name="Submit").click()
    await expect(
        page.get_by_text("Choose at least one module to remove.")
    ).to_be_visible()
    await steps.shot(page, "options-remove-nothing-chosen")
    await choose(page, "Modules", "Porch panel")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("Remove these modules?")).to_be_visible()
    await expect(page.get_by_text("Porch panel (link")).to_be_visible()
    await steps.shot(page, "options-remove-confirm")
    assert "Porch panel" in [d["name"] for d in await client.devices_of(entry_id)]
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("Removed from the emulated system")).to_be_visible()
    await expect(page.get_by_text("Porch panel (link")).to_be_visible()
    await steps.shot(page, "options-removed")
    await page.locator("ha-dialog-footer").get_by_role("button", name="Close").click()
    devices = await poll(
        lambda: client.devices_of(entry_id),
        lambda devices: "Porch panel" not in [d["name"] for d in devices],
        "the removed module's device",
    )
    assert sorted(device["name"] for device in devices) == [
        SYSTEM_NAME,
        "Module 1.1",
        "Module 2.1",
    ]


async def zone_names_in_the_options(page: Page, steps: Steps) -> None:
    """See the example house's option forms name its zones as their entities are named."""
    await open_options(page, "Maple Street house")
    await page.get_by_text("Change a module's settings").click()
    await choose(page, "Module", "Kitchen panel")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("Island pendants in manual override")).to_be_visible()
    await expect(page.get_by_text("Zone 1 in manual override")).to_have_count(0)
    await steps.shot(page, "options-zone-names")
    await close_dialog(page, "Settings of Kitchen panel")


async def pairing_port_that_never_answers(page: Page, steps: Steps) -> None:
    """LEAP pairing with a port 8083 that takes the connection and never answers: said so, not "button not pressed"."""
    held: list[asyncio.StreamWriter] = []

    async def take_and_stay_silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        held.append(writer)

    silent = await asyncio.start_server(take_and_stay_silent, SILENT_HOST, 8083)
    try:
        await page.get_by_role("link", name="Settings").click()
        await page.get_by_role("link", name="Devices & services").click()
        await page.get_by_role("button", name="Add integration").click()
        await page.get_by_placeholder("Search for a brand name").fill("HomeWorks")
        await page.get_by_role("button", name="Lutron HomeWorks QSX").click()
        await page.get_by_text(
            "HomeWorks QSX processor over LEAP (recommended)"
        ).click()
        await page.get_by_role("textbox", name="Host").fill(SILENT_HOST)
        await page.get_by_role("button", name="Submit").click()
        await expect(
            page.get_by_text(f"Reaching the processor at {SILENT_HOST}")
        ).to_be_visible()
        await steps.shot(page, "pairing-reaching")
        # pylutron-caseta gives the handshake 10 s.
        await expect(page.get_by_text("No answer on port 8083")).to_be_visible(
            timeout=30_000
        )
        await expect(page.get_by_text("button was not pressed")).to_have_count(0)
        await steps.shot(page, "pairing-no-answer")
        await close_dialog(page, "HomeWorks QSX processor over LEAP")
    finally:
        for writer in held:
            writer.close()
        silent.close()
        await silent.wait_closed()
    assert held, "the pairing never reached the silent port"


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
