"""A LEAP server for the benchmarks, in its own process (as a processor is its own machine).

Serves an emulated system of `--modules` (per link, comma separated) with the CA and server certificate read from
`--credentials` (a JSON file written by the benchmark), and prints ``listening on HOST:PORT`` once it accepts
connections. Ends on SIGTERM.

Run: ``.venv/bin/python -m benchmarks.leap_server --credentials FILE --modules 99,99 --reply-delay-ms 5``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import signal

from custom_components.homeworks_qsx.qsx.description import parse_description
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.leap.server import LeapServer


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGTERM."""
    links = [int(count) for count in str(args.modules).split(",")]
    emulator = Emulator(
        parse_description(
            {
                "processor": {"serial": "0B0E0C0D"},
                "links": [
                    {"number": number, "modules": count}
                    for number, count in enumerate(links, start=1)
                ],
            }
        )
    )
    credentials = LeapCredentials.from_dict(
        json.loads(Path(args.credentials).read_text(encoding="utf-8"))
    )
    server = LeapServer(
        emulator,
        credentials,
        args.host,
        args.port,
        profile=Profile(args.profile),
        reply_delay=args.reply_delay_ms / 1000,
    )
    await server.start()
    print(f"listening on {args.host}:{server.port}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop()
    emulator.close()


def main() -> None:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--modules", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--profile", default=Profile.FULL.value)
    parser.add_argument("--reply-delay-ms", type=float, default=0.0)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
