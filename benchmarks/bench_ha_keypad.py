"""A keypad press until Home Assistant's event, against a bare TLS echo.

The emulator serves the largest house (`benchmarks/house.py`) over LEAP from a child process on its own loopback
address, port 8081; Home Assistant (a test instance in this process, `ha_harness.py`) has our LEAP entry of it set
up. A raw LEAP session, as a person at a keypad, presses a keypad button (`PressAndRelease` on
`/button/<id>/commandprocessor`: the emulator runs the button's programming and sends the same events as a
physical press, LP40). Each press is timed from the moment it is written until Home Assistant's bus carries the
integration's keypad button event for it (`homeworks_qsx_button_event`, action `press`: what device triggers and
automations hear, written in the same callback as the button's event entity); the release that follows is awaited
too, untimed.

Presses go round the keypads' first buttons (a scene: after the first press it changes no zone; a tap is a press
and a release, LP39, however soon it follows the last). Reference: the round trip of a line of the size of a
request over TLS with client certificates (the LEAP server's own TLS set-up), to an echo in a child process on the
same loopback, alternating with the presses in blocks of 100, in the same run (`bench_leap.py`). Both placed as in
the other round trip benchmarks: the servers on another core than Home Assistant (as on separate machines), and
everything on one core. Replies are instant: a reply delay would be the same fixed cost on both sides.

Then, with our entry unloaded, the same presses are heard by a second raw LEAP session subscribed to the buttons'
events (`/button/<id>/status/event`), beside the echo again: the server's part of the round trip, without goal.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_ha_keypad``.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from functools import partial
import json
import logging
from pathlib import Path
import tempfile
import time
from typing import Any

from benchmarks.bench_ha_leap import leap_data
from benchmarks.bench_leap import ECHO_LINE, Client, open_tls
from benchmarks.common import (
    Placement,
    Row,
    SystemCase,
    alternating_round_trips,
    argument_parser,
    echo_round_trips,
    leap_server,
    placements,
    reference_server,
    report,
    round_trip_rows,
)
from benchmarks.ha_harness import home_assistant, our_domain, run_benchmark, setup_entry
from benchmarks.house import SCENE_BUTTON
from custom_components.homeworks_qsx.const import (
    ATTR_ACTION,
    ATTR_SERIAL,
    EVENT_KEYPAD_BUTTON,
)
from custom_components.homeworks_qsx.qsx.const import ButtonAction
from custom_components.homeworks_qsx.qsx.leap import LEAP_PORT
from custom_components.homeworks_qsx.qsx.leap.protocol import (
    CommuniqueType,
    encode,
    make_request,
)
from custom_components.homeworks_qsx.qsx.model import DeviceKind
from homeassistant.core import Event, HomeAssistant, callback

HOST = "127.0.0.42"  # our LEAP entry dials 8081: the served house gets an address of its own
PRESSES = 1_000
WARMUP = 100
EVENT_TIMEOUT = 10.0


def press_line(button_id: int, tag: str) -> bytes:
    """One `PressAndRelease` request line (LP40)."""
    return encode(
        make_request(
            CommuniqueType.CREATE_REQUEST,
            f"/button/{button_id}/commandprocessor",
            tag,
            {"Command": {"CommandType": "PressAndRelease"}},
        )
    )


class Presses:
    """Presses keypad buttons over a raw LEAP session and waits for Home Assistant's events of them."""

    def __init__(
        self,
        hass: HomeAssistant,
        buttons: list[tuple[str, int]],
        leap: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        """`buttons`: (keypad serial, button id) pairs, pressed in turn."""
        self.buttons = buttons
        self.leap_reader, self.leap_writer = leap
        self.waiting: dict[tuple[str, str], asyncio.Future[float]] = {}
        self.count = 0
        self.unlisten = hass.bus.async_listen(EVENT_KEYPAD_BUTTON, self._heard)
        self.replies = asyncio.get_running_loop().create_task(self._drain_replies())

    @callback
    def _heard(self, event: Event[Any]) -> None:
        now = time.perf_counter()
        future = self.waiting.pop(
            (event.data[ATTR_SERIAL], event.data[ATTR_ACTION]), None
        )
        if future is not None and not future.done():
            future.set_result(now)

    async def _drain_replies(self) -> None:
        """Read the press commands' replies (LP6: `204`), which the measure does not wait for."""
        while await self.leap_reader.readline():
            pass

    def _expect(self, serial: str, action: ButtonAction) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[(serial, action.value)] = future
        return future

    async def press_once(self, serial: str, button_id: int) -> float:
        """Microseconds from writing a press until Home Assistant's press event; then wait for its release."""
        pressed = self._expect(serial, ButtonAction.PRESS)
        released = self._expect(serial, ButtonAction.RELEASE)
        self.count += 1
        start = time.perf_counter()
        self.leap_writer.write(press_line(button_id, f"p{self.count}"))
        async with asyncio.timeout(EVENT_TIMEOUT):
            heard = await pressed
            await released
        return (heard - start) * 1e6

    async def round_trips(self, count: int, samples: list[float] | None) -> None:
        """Press `count` buttons in turn, appending each press's microseconds to `samples` (None: a warm-up)."""
        for _ in range(count):
            serial, button_id = self.buttons[self.count % len(self.buttons)]
            press_us = await self.press_once(serial, button_id)
            if samples is not None:
                samples.append(press_us)

    def close(self) -> None:
        """Stop listening and close the session (once)."""
        if self.replies.done():
            return
        self.unlisten()
        self.replies.cancel()
        self.leap_writer.close()


class RawPresses:
    """Presses over one raw LEAP session, heard as button event pushes on another: the server's part alone."""

    def __init__(
        self,
        buttons: list[int],
        press: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        listen: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        """`buttons`: LEAP button ids, pressed in turn."""
        self.buttons = buttons
        self.press_reader, self.press_writer = press
        self.listen_reader, self.listen_writer = listen
        self.count = 0
        self.replies: asyncio.Task[None] | None = None

    async def subscribe(self) -> None:
        """Subscribe the listening session to every button's events (LP38, LP39: `204`)."""
        for button_id in self.buttons:
            url = f"/button/{button_id}/status/event"
            self.listen_writer.write(
                encode(make_request(CommuniqueType.SUBSCRIBE_REQUEST, url, url))
            )
            await self.listen_reader.readline()
        self.replies = asyncio.get_running_loop().create_task(self._drain_replies())

    async def _drain_replies(self) -> None:
        while await self.press_reader.readline():
            pass

    async def _heard(self, button_id: int, event_type: str) -> None:
        """Read pushes until `button_id`'s `event_type` event."""
        wanted = f"/button/{button_id}"
        while True:
            message = json.loads(await self.listen_reader.readline())
            status = (message.get("Body") or {}).get("ButtonStatus") or {}
            if (
                status.get("Button", {}).get("href") == wanted
                and status.get("ButtonEvent", {}).get("EventType") == event_type
            ):
                return

    async def round_trips(self, count: int, samples: list[float] | None) -> None:
        """Press `count` buttons in turn: microseconds until the press event's push (then its release's, untimed)."""
        for _ in range(count):
            button_id = self.buttons[self.count % len(self.buttons)]
            self.count += 1
            start = time.perf_counter()
            self.press_writer.write(press_line(button_id, f"r{self.count}"))
            async with asyncio.timeout(EVENT_TIMEOUT):
                await self._heard(button_id, "Press")
                heard = time.perf_counter()
                await self._heard(button_id, "Release")
            if samples is not None:
                samples.append((heard - start) * 1e6)

    def close(self) -> None:
        """Close both sessions."""
        if self.replies is not None:
            self.replies.cancel()
        self.press_writer.close()
        self.listen_writer.close()


def scene_buttons(hass: HomeAssistant, entry_id: str) -> list[tuple[str, int]]:
    """(keypad serial, LEAP button id) of every keypad's scene button, as our entry read them."""
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    found: list[tuple[str, int]] = []
    for device in entry.runtime_data.backend.description.devices:
        if device.kind is DeviceKind.KEYPAD:
            button = device.input(SCENE_BUTTON)
            found.append((device.serial, button.integration_id))
    return found


type Samples = tuple[list[float], list[float]]  # the echo's microseconds, and ours


async def measure(
    folder: Path, placement: Placement, presses: int
) -> tuple[Samples, Samples]:
    """Round trips (microseconds) of the TLS echo and of keypad presses, until Home Assistant's event, then raw.

    Raw: until a raw LEAP session's push, with Home Assistant's entry unloaded.
    """
    placement.apply()
    client = Client(folder, f"keypad-{placement.name.replace(' ', '-')}")
    credentials_pem = client.credentials_file
    async with (
        reference_server(
            "tls-echo", placement.server, str(credentials_pem)
        ) as echo_served,
        leap_server(
            credentials_pem,
            host=HOST,
            leap_port=LEAP_PORT,
            cpus=placement.server,
            **SystemCase(None).serve_options(folder),
        ),
        home_assistant() as hass,
    ):
        entry, _, _ = await setup_entry(
            hass,
            our_domain(),
            leap_data(client.credentials, client.certificate, HOST),
            "Keypads",
        )
        buttons = scene_buttons(hass, entry.entry_id)
        if not buttons:
            raise RuntimeError("our entry read no keypad")
        presses_session = Presses(
            hass, buttons, await open_tls(HOST, LEAP_PORT, client.context)
        )
        echo_reader, echo_writer = await open_tls(
            echo_served.host, echo_served.port, client.context
        )
        echo = partial(echo_round_trips, echo_reader, echo_writer, ECHO_LINE)
        try:
            home_assistant_samples = await alternating_round_trips(
                echo, presses_session.round_trips, commands=presses, warmup=WARMUP
            )
            presses_session.close()
            await hass.config_entries.async_unload(entry.entry_id)
            raw = RawPresses(
                [button_id for _, button_id in buttons],
                await open_tls(HOST, LEAP_PORT, client.context),
                await open_tls(HOST, LEAP_PORT, client.context),
            )
            try:
                await raw.subscribe()
                raw_samples = await alternating_round_trips(
                    echo, raw.round_trips, commands=presses, warmup=WARMUP
                )
            finally:
                raw.close()
            return home_assistant_samples, raw_samples
        finally:
            presses_session.close()
            echo_writer.close()


async def bench(args: argparse.Namespace) -> None:
    """Measure in both placements."""
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="qsx-bench-keypad-") as name:
        folder = Path(name)
        for placement in placements():
            (echo, ours), (raw_echo, raw) = await measure(
                folder, placement, args.presses
            )
            rows.extend(
                round_trip_rows(
                    "9 keypad press",
                    "keypad press to Home Assistant event",
                    f"largest house, {placement.name}",
                    reference_name="TLS echo",
                    floor=echo,
                    samples=ours,
                )
            )
            # The server's part, for the reading: no goal of its own.
            rows.extend(
                replace(row, goal="", met=None)
                for row in round_trip_rows(
                    "9 keypad press",
                    "keypad press to a raw LEAP session's push (no Home Assistant)",
                    f"largest house, {placement.name}",
                    reference_name="TLS echo",
                    floor=raw_echo,
                    samples=raw,
                )
            )
    report(rows, args.json)


def main() -> None:
    """Parse the options and run on Home Assistant's event loop."""
    parser = argument_parser(__doc__ or "", sizes=False)
    parser.add_argument(
        "--presses",
        type=int,
        default=PRESSES,
        help="presses measured per placement (default %(default)s)",
    )
    run_benchmark(bench, parser.parse_args())


if __name__ == "__main__":
    main()
