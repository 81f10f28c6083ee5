"""Start-up of a LEAP connection: connect (mutual TLS), read the whole system, subscribe to its statuses.

Ours: `LeapClient.connect()` (requests pipelined, at most `MAX_REQUESTS_IN_FLIGHT` unanswered at once). Reference,
in the same run and against the same emulator: pylutron-caseta's `Smartbridge` login (what Home Assistant's core
`lutron_caseta` integration runs), which sends one request at a time. The emulator's LEAP server runs in a child
process on 127.0.0.1 (an ephemeral port), serving 1, 10 and 198 switching modules described in full (LP16) and the
largest house (`benchmarks/house.py`: two full QS links of modules, dimming modules, shades and keypads), with
instant replies and with each reply delayed by a network round trip of 5 ms. Both build their TLS context from
files or PEM text: ours keeps it per set of certificates (built during the warm-up run, as a client made again for
the same processor reuses it), pylutron-caseta builds it at every login.

For the largest house a separate, unmeasured start-up also watches the client's requests in flight at the end of
every turn of the event loop, and reports the most it saw beside the cap.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_leap_startup``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, replace
import functools
import logging
import os
from pathlib import Path
import tempfile
import time

from pylutron_caseta.smartbridge import Smartbridge

from benchmarks.common import (
    HOUSE,
    PROJECT,
    SIZES,
    Row,
    SystemCase,
    add_delays,
    argument_parser,
    delays_from,
    leap_server,
    median,
    median_after_warmup,
    report,
    systems_from,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.leap.client import (
    LEAP_TIMINGS,
    LeapCertificates,
    LeapClient,
)
from custom_components.homeworks_qsx.qsx.leap.link import MAX_REQUESTS_IN_FLIGHT
from custom_components.homeworks_qsx.qsx.model import DeviceKind

HOST = "127.0.0.1"
DELAYS_MS = (0.0, 5.0)
GOAL_SECONDS = 1.0  # for the largest systems, with 5 ms replies
GOAL_SPEEDUP = 10.0  # 198 modules
HOUSE_GOAL_SPEEDUP = 20.0  # the largest house


def repeats(case: SystemCase, delay_ms: float) -> tuple[int, int]:
    """Return the runs of ours and of pylutron-caseta: fewer where pylutron-caseta takes seconds."""
    if case.large and delay_ms:
        return 5, 1
    if case.large:
        return 7, 3
    return 9, 3


def new_client(certificates: LeapCertificates, port: int) -> LeapClient:
    """Our client of the served emulator."""
    return LeapClient(
        HOST,
        certificates,
        port=port,
        timings=replace(LEAP_TIMINGS, connect_timeout=60.0),
    )


async def ours(
    certificates: LeapCertificates, port: int, subscribed: list[float]
) -> float:
    """Seconds for `LeapClient.connect()`: TLS, the whole system read, every state subscribed.

    Also appends to `subscribed` the seconds until the buttons' event subscriptions, which `connect()` does not
    wait for (LP39), are answered too.
    """
    client = new_client(certificates, port)
    start = time.perf_counter()
    await client.connect()
    seconds = time.perf_counter() - start
    await client.wait_subscribed()
    subscribed.append(time.perf_counter() - start)
    await client.close()
    return seconds


async def what_ours_reads(certificates: LeapCertificates, port: int) -> tuple[str, int]:
    """Start up once, unmeasured: return what our client read and asked, and the most requests it had in flight.

    Both are watched at the end of every loop turn: a request awaits its reply for at least the reply delay, so
    with delayed replies every request is seen (its tag), and so is the most in flight.
    """
    client = new_client(certificates, port)
    most = 0
    tags: set[str] = set()
    loop = asyncio.get_running_loop()
    watching = True

    def watch() -> None:
        nonlocal most
        link = client._link  # noqa: SLF001 (the benchmark looks at the session's own requests)
        if link is not None:
            most = max(most, link.in_flight)
            tags.update(link.requests)
        if watching:
            loop.call_soon(watch)

    loop.call_soon(watch)
    try:
        await client.connect()
        await client.wait_subscribed()
    finally:
        watching = False
    kinds = Counter(device.kind for device in client.description.devices)
    buttons = sum(len(device.buttons) for device in client.description.devices)
    await client.close()
    read = ", ".join(
        f"{kinds[kind]} {name}"
        for kind, name in (
            (DeviceKind.SWITCHING_MODULE, "modules"),
            (DeviceKind.DIMMING_MODULE, "dimming modules"),
            (DeviceKind.SHADE, "shades"),
            (DeviceKind.KEYPAD, "keypads"),
            (DeviceKind.AREA_GROUP, "area groups"),
        )
        if kinds[kind]
    )
    return f"{len(tags)} requests; {read}, {buttons} buttons read", most


@dataclass(slots=True)
class Found:
    """What pylutron-caseta's login found."""

    switches: int = 0
    lights: int = 0
    covers: int = 0
    buttons: int = 0

    def text(self) -> str:
        """How a figure says it."""
        if not (self.lights or self.covers or self.buttons):
            return f"{self.switches} switches"
        return f"{self.lights} lights, {self.switches} switches, {self.covers} covers, {self.buttons} buttons"


async def theirs(folder: Path, port: int) -> tuple[float, Found]:
    """Seconds for pylutron-caseta's `Smartbridge` login, and what it found."""
    bridge = Smartbridge.create_tls(
        HOST,
        str(folder / "key.pem"),
        str(folder / "cert.pem"),
        str(folder / "ca.pem"),
        port=port,
    )
    start = time.perf_counter()
    async with asyncio.timeout(300):
        await bridge.connect()
    seconds = time.perf_counter() - start
    found = Found(
        switches=len(bridge.get_devices_by_domain("switch")),
        lights=len(bridge.get_devices_by_domain("light")),
        covers=len(bridge.get_devices_by_domain("cover")),
        buttons=len(bridge.get_buttons()),
    )
    await bridge.close()  # type: ignore[no-untyped-call]
    return seconds, found


def write_credentials(folder: Path) -> tuple[LeapCredentials, LeapCertificates]:
    """Create the emulator's CA and a client certificate it signed, as PEM files for pylutron-caseta too."""
    credentials = LeapCredentials.generate()
    key, cert = credentials.issue_client()
    descriptor = os.open(
        folder / "key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
    )
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key)
    (folder / "cert.pem").write_text(cert, encoding="ascii")
    (folder / "ca.pem").write_text(credentials.ca_cert_pem, encoding="ascii")
    return credentials, LeapCertificates(key, cert, credentials.ca_cert_pem)


def goal_of(
    case: SystemCase, delay_ms: float, largest_size: int | None
) -> tuple[str, float | None]:
    """Return the goal of a figure (text, and the speed-up it asks for), where it has one: 5 ms replies, largest systems."""
    if not delay_ms:
        return "", None
    if case.house:
        return (
            (
                f"< {GOAL_SECONDS:g} s with <= {MAX_REQUESTS_IN_FLIGHT} in flight, "
                f">= {HOUSE_GOAL_SPEEDUP:g}x faster than pylutron-caseta"
            ),
            HOUSE_GOAL_SPEEDUP,
        )
    if case.modules is not None and case.large and case.modules == largest_size:
        return (
            f"< {GOAL_SECONDS:g} s, >= {GOAL_SPEEDUP:g}x faster than pylutron-caseta",
            GOAL_SPEEDUP,
        )
    return "", None


async def measure_case(  # noqa: PLR0917 (one case of the main loop)
    folder: Path,
    ca_file: Path,
    certificates: LeapCertificates,
    case: SystemCase,
    delay_ms: float,
    largest_size: int | None,
) -> list[Row]:
    """Both start-ups of one system with one reply delay; for the house, also what ours read and had in flight."""
    ours_runs, theirs_runs = repeats(case, delay_ms)
    rows: list[Row] = []
    async with leap_server(
        ca_file, reply_delay_ms=delay_ms, **case.serve_options(folder)
    ) as served:
        port = served.port
        subscribed: list[float] = []
        mine, note = await median_after_warmup(
            functools.partial(ours, certificates, port, subscribed), ours_runs
        )
        samples: list[float] = []
        found = Found()
        for _ in range(theirs_runs):
            seconds, found = await theirs(folder, port)
            samples.append(seconds)
        reference = median(samples)
        most: int | None = None
        read = ""
        if case.modules is None and not note:
            read, most = await what_ours_reads(certificates, port)
    goal, speedup = goal_of(case, delay_ms, largest_size)
    met: bool | None = None
    if speedup is not None:
        met = (
            not note
            and mine < GOAL_SECONDS
            and reference / mine >= speedup
            and (most is None or most <= MAX_REQUESTS_IN_FLIGHT)
        )
    rows.append(
        Row(
            "7 LEAP start-up",
            f"LEAP start-up, {case.label} ({found.text()}), reply delay {delay_ms:g} ms",
            "ms",
            mine * 1000,
            reference * 1000,
            "pylutron-caseta",
            goal,
            met,
            note,
        )
    )
    if not note:
        rows.append(
            Row(
                "7 LEAP start-up",
                f"LEAP start-up and every button's events subscribed too, {case.label}, reply delay {delay_ms:g} ms",
                "ms",
                median(subscribed[1:]) * 1000,
                reference * 1000,
                "pylutron-caseta",
            )
        )
    if most is not None:
        rows.append(
            Row(
                "7 LEAP start-up",
                f"most requests in flight, {case.label} ({read}), reply delay {delay_ms:g} ms",
                "",
                float(most),
                float(MAX_REQUESTS_IN_FLIGHT),
                "cap",
                f"<= {MAX_REQUESTS_IN_FLIGHT}",
                most <= MAX_REQUESTS_IN_FLIGHT,
            )
        )
    return rows


async def main() -> None:
    """Measure both start-ups for every system, without and with a reply delay."""
    parser = argument_parser(__doc__ or "")
    parser.set_defaults(
        sizes=",".join([*(str(size) for size in SIZES), HOUSE, PROJECT])
    )
    add_delays(parser, DELAYS_MS)
    args = parser.parse_args()
    logging.getLogger("pylutron_caseta").setLevel(logging.ERROR)
    cases = systems_from(args)
    largest_size = max(
        (case.modules for case in cases if case.modules is not None), default=None
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="qsx-bench-leap-") as name:
        folder = Path(name)
        credentials, certificates = write_credentials(folder)
        ca_file = folder / "ca.json"  # the servers' --leap-ca
        credentials.save(ca_file)
        for delay_ms in delays_from(args):
            for case in cases:
                rows.extend(
                    await measure_case(
                        folder, ca_file, certificates, case, delay_ms, largest_size
                    )
                )
    report(rows, args.json)


if __name__ == "__main__":
    asyncio.run(main())
