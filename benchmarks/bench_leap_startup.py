"""Start-up of a LEAP connection: connect (mutual TLS), read the whole system, subscribe to zone statuses.

Ours: `LeapClient.connect()` (requests pipelined: two round trips plus paging). Reference, in the same run and
against the same emulator: pylutron-caseta's `Smartbridge` login (what Home Assistant's core `lutron_caseta`
integration runs), which sends one request at a time. The emulator's LEAP server runs in a child process on
127.0.0.1 (an ephemeral port), serving modules described in full (LP16), with instant replies and with each reply
delayed by a network round trip of 5 ms. Both build their TLS context from files or PEM text: ours keeps it per
set of certificates (built during the warm-up run, as a client made again for the same processor reuses it),
pylutron-caseta builds it at every login.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_leap_startup``.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
import functools
import logging
import os
from pathlib import Path
import tempfile
import time

from pylutron_caseta.smartbridge import Smartbridge

from benchmarks.common import (
    Row,
    leap_server,
    median,
    median_after_warmup,
    modules_per_link,
    parse_args,
    report,
    sizes_from,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.leap.client import (
    LEAP_TIMINGS,
    LeapCertificates,
    LeapClient,
)

HOST = "127.0.0.1"
DELAYS_MS = (0.0, 5.0)
GOAL_SECONDS = 1.0  # for the largest system, with 5 ms replies
GOAL_SPEEDUP = 10.0


def repeats(size: int, delay_ms: float) -> tuple[int, int]:
    """Return the runs of ours and of pylutron-caseta: fewer where pylutron-caseta takes seconds."""
    if size >= 100 and delay_ms:
        return 5, 1
    if size >= 100:
        return 7, 3
    return 9, 3


async def ours(certificates: LeapCertificates, port: int) -> float:
    """Seconds for `LeapClient.connect()`: TLS, the whole system read, zone statuses subscribed."""
    client = LeapClient(
        HOST,
        certificates,
        port=port,
        timings=replace(LEAP_TIMINGS, connect_timeout=60.0),
    )
    start = time.perf_counter()
    await client.connect()
    seconds = time.perf_counter() - start
    await client.close()
    return seconds


async def theirs(folder: Path, port: int) -> tuple[float, int]:
    """Seconds for pylutron-caseta's `Smartbridge` login, and the switches it found."""
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
    switches = len(bridge.get_devices_by_domain("switch"))
    await bridge.close()  # type: ignore[no-untyped-call]
    return seconds, switches


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


async def main() -> None:
    """Measure both start-ups for every size, without and with a reply delay."""
    args = parse_args(__doc__ or "")
    logging.getLogger("pylutron_caseta").setLevel(logging.ERROR)
    sizes = sizes_from(args)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="qsx-bench-leap-") as name:
        folder = Path(name)
        credentials, certificates = write_credentials(folder)
        ca_file = folder / "ca.json"  # the servers' --leap-ca
        credentials.save(ca_file)
        for delay_ms in DELAYS_MS:
            for size in sizes:
                ours_runs, theirs_runs = repeats(size, delay_ms)
                async with leap_server(
                    ca_file,
                    modules=modules_per_link(size),
                    reply_delay_ms=delay_ms,
                ) as served:
                    port = served.port
                    mine, note = await median_after_warmup(
                        functools.partial(ours, certificates, port), ours_runs
                    )
                    samples: list[float] = []
                    switches = 0
                    for _ in range(theirs_runs):
                        seconds, switches = await theirs(folder, port)
                        samples.append(seconds)
                    reference = median(samples)
                goal = ""
                met: bool | None = None
                if delay_ms and size == max(
                    sizes
                ):  # the goal of the issue: the largest system, 5 ms replies
                    goal = f"< {GOAL_SECONDS:g} s, >= {GOAL_SPEEDUP:g}x faster than pylutron-caseta"
                    met = (
                        not note
                        and mine < GOAL_SECONDS
                        and reference / mine >= GOAL_SPEEDUP
                    )
                rows.append(
                    Row(
                        "6 LEAP start-up",
                        f"LEAP start-up, {size} modules ({switches} switches), reply delay {delay_ms:g} ms",
                        "ms",
                        mine * 1000,
                        reference * 1000,
                        "pylutron-caseta",
                        goal,
                        met,
                        note,
                    )
                )
    report(rows, args.json)


if __name__ == "__main__":
    asyncio.run(main())
