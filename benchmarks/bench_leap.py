"""LEAP: a zone command's round trip against a bare TLS echo, and pylutron-caseta's whole login.

Round trip: a raw LEAP client subscribed to `/zone/status` sends `GoToLevel` (each command changes the zone) and
waits for the push of the new state; the reference is an echo of a line of the same size over TLS with client
certificates (the LEAP server's own TLS set-up), in a child process on the same loopback, measured in the same run,
with the servers on another core and with everything on one core (see `bench_roundtrip.py`).

Login: `Smartbridge.create_tls(...).connect()` of pylutron-caseta 0.30.0 (what Home Assistant's lutron_caseta runs)
until it has logged in, at 1, 10 and 198 modules, with instant replies and with a 5 ms reply delay: the figure a
LEAP client of our own must beat. It has no reference in the same run.

The emulator is served by the project's command line in a child process (`serve --no-lip --leap-ca FILE`: its CA
in a file of its own, no state file saved while it is measured). The raw client is minimal and fair: it encodes
its commands with the project's encoder and parses every line it receives, as any client must.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_leap``.
"""

from __future__ import annotations

import asyncio
from functools import partial
import json
from pathlib import Path
import ssl
import tempfile
import time

from pylutron_caseta.smartbridge import Smartbridge

from benchmarks.common import (
    Placement,
    Row,
    alternating_round_trips,
    echo_round_trips,
    leap_server,
    median,
    modules_per_link,
    parse_args,
    placements,
    reference_server,
    report,
    round_trip_rows,
    sizes_from,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.leap.protocol import (
    CommuniqueType,
    encode,
    make_request,
)

COMMANDS = 1_000
WARMUP = 100
LOGINS = 5  # logins measured per case (median)
REPLY_DELAYS_MS = (0.0, 5.0)


class Client:
    """Key, certificate and CA files of one emulator's CA, and a TLS context made of them."""

    def __init__(self, folder: Path, name: str) -> None:
        """Create (or read) the CA in `folder/name.json` (the server's `--leap-ca`) and issue a client certificate."""
        self.credentials_file = folder / f"{name}.json"
        credentials, _ = LeapCredentials.load_or_create(self.credentials_file)
        key, cert = credentials.issue_client("benchmark")
        self.credentials = credentials
        self.certificate = (key, cert)
        self.files = (
            folder / f"{name}-key.pem",
            folder / f"{name}-cert.pem",
            folder / f"{name}-ca.pem",
        )
        for path, text in zip(
            self.files, (key, cert, credentials.ca_cert_pem), strict=True
        ):
            path.write_text(text, encoding="ascii")
        self.context = credentials.client_context(key, cert)


async def open_tls(
    host: str, port: int, context: ssl.SSLContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a TLS connection as pylutron-caseta does (no host name check, 256 KiB lines)."""
    return await asyncio.open_connection(
        host, port, ssl=context, server_hostname="", limit=2**18
    )


def go_to_level(zone: int, level: int, tag: str) -> bytes:
    """One `GoToLevel` request line."""
    body = {
        "Command": {
            "CommandType": "GoToLevel",
            "Parameter": [{"Type": "Level", "Value": level}],
        }
    }
    return encode(
        make_request(
            CommuniqueType.CREATE_REQUEST, f"/zone/{zone}/commandprocessor", tag, body
        )
    )


# An echoed line of the size of a request.
ECHO_LINE = go_to_level(1234, 100, "00000000-0000-0000-0000-000000000000")


class LeapCommands:
    """A raw LEAP session subscribed to zone statuses, switching one zone back and forth."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Use an open session."""
        self.reader, self.writer = reader, writer
        self.zone = 0
        self.level = 0

    async def subscribe(self) -> None:
        """Subscribe to `/zone/status`; pick a zone of a module three quarters down the list."""
        request = {
            "CommuniqueType": "SubscribeRequest",
            "Header": {"ClientTag": "sub", "Url": "/zone/status"},
        }
        self.writer.write(json.dumps(request).encode() + b"\r\n")
        reply = json.loads(await self.reader.readline())
        statuses = reply["Body"]["ZoneStatuses"]
        switched = [status for status in statuses if "Level" in status]
        chosen = switched[(len(switched) - 1) * 3 // 4]
        self.zone = int(chosen["Zone"]["href"].rsplit("/", 1)[1])
        self.level = chosen["Level"]

    async def round_trips(self, count: int, samples: list[float] | None) -> None:
        """Switch the zone; each command ends when the push with the new level has arrived."""
        for index in range(count):
            self.level = 0 if self.level else 100
            start = time.perf_counter()
            self.writer.write(go_to_level(self.zone, self.level, f"c{index}"))
            while True:
                message = json.loads(await self.reader.readline())
                if message["Header"].get("ClientTag") == "sub":
                    break
            if samples is not None:
                samples.append((time.perf_counter() - start) * 1e6)
            assert message["Body"]["ZoneStatuses"][0]["Level"] == self.level


async def measure(
    folder: Path, size: int, placement: Placement
) -> tuple[list[float], list[float]]:
    """Round trips (microseconds) of the TLS echo and of a LEAP command on a system of `size` modules."""
    placement.apply()
    client = Client(folder, f"roundtrip-{size}-{placement.name.replace(' ', '-')}")
    async with (
        reference_server(
            "tls-echo", placement.server, str(client.credentials_file)
        ) as echo_served,
        leap_server(
            client.credentials_file,
            modules=modules_per_link(size),
            cpus=placement.server,
        ) as served,
    ):
        echo_reader, echo_writer = await open_tls(
            echo_served.host, echo_served.port, client.context
        )
        leap = LeapCommands(*await open_tls(served.host, served.port, client.context))
        await leap.subscribe()
        try:
            return await alternating_round_trips(
                partial(echo_round_trips, echo_reader, echo_writer, ECHO_LINE),
                leap.round_trips,
                commands=COMMANDS,
                warmup=WARMUP,
            )
        finally:
            for writer in (echo_writer, leap.writer):
                writer.close()


async def login_seconds(folder: Path, size: int, reply_delay_ms: float) -> list[float]:
    """Seconds of pylutron-caseta's whole login, `LOGINS` times, against one server."""
    client = Client(folder, f"login-{size}-{reply_delay_ms:g}")
    seconds: list[float] = []
    async with leap_server(
        client.credentials_file,
        modules=modules_per_link(size),
        reply_delay_ms=reply_delay_ms,
    ) as served:
        key, cert, ca = (str(path) for path in client.files)
        for _ in range(LOGINS):
            bridge = Smartbridge.create_tls(
                served.host, key, cert, ca, port=served.port
            )
            start = time.perf_counter()
            await asyncio.wait_for(bridge.connect(), 120)
            seconds.append(time.perf_counter() - start)
            switches = len(bridge.get_devices_by_domain("switch"))
            assert switches == 5 * size, switches
            tasks = [bridge._monitor_task, bridge._ping_task]  # noqa: SLF001
            await bridge.close()  # type: ignore[no-untyped-call]
            await asyncio.wait([task for task in tasks if task is not None], timeout=10)
    return seconds


async def main() -> None:
    """Measure round trips and logins for every size."""
    args = parse_args(__doc__ or "")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="qsx-bench-leap-") as name:
        folder = Path(name)
        for size in sizes_from(args):
            for placement in placements():
                floor, samples = await measure(folder, size, placement)
                rows.extend(
                    round_trip_rows(
                        "6 LEAP round trip",
                        "GoToLevel to pushed state",
                        f"{size} modules, {placement.name}",
                        reference_name="TLS echo",
                        floor=floor,
                        samples=samples,
                    )
                )
        for size in sizes_from(args):
            for delay in REPLY_DELAYS_MS:
                seconds = await login_seconds(folder, size, delay)
                rows.append(
                    Row(
                        "6 LEAP login",
                        f"pylutron-caseta login, median of {LOGINS}, {size} modules, reply delay {delay:g} ms",
                        "ms",
                        median(seconds) * 1000,
                        None,
                        "-",
                    )
                )
    report(rows, args.json)


if __name__ == "__main__":
    asyncio.run(main())
