"""Command line: serve an emulated HomeWorks QSX system over LIP and HTTP, as a processor would.

    homeworks-qsx serve --system examples/house.yaml --password secret

(`homeworks-qsx` is the console script of the `pyhomeworksqsx` wheel; `python -m pyhomeworksqsx` is the same.)

It prints one line saying where it listens, runs until SIGINT or SIGTERM, then saves the state (with `--state`)
and exits 0. Configuration errors exit 2, an address that cannot be bound exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
import json
import logging
import os
from pathlib import Path
import signal
import sys
from typing import TYPE_CHECKING, Any

from .errors import DescriptionError, QsxError
from .lip.protocol import DEFAULT_HOST, DEFAULT_MAX_SESSIONS

if TYPE_CHECKING:
    from .emulator import Emulator
    from .events import Event

DEFAULT_LIP_PORT = 2323
DEFAULT_HTTP_PORT = 8080
DEFAULT_USERNAME = "lutron"
DEFAULT_MODULES = "4"
SAVE_DELAY_SECONDS = 1.0
EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE = 0, 1, 2

_LOGGER = logging.getLogger(__name__)


def _modules_per_link(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a count or a list of counts per link"
        ) from None
    if not 1 <= len(counts) <= 2 or any(count < 0 for count in counts):
        raise argparse.ArgumentTypeError(
            "give one or two non-negative counts, for link 1 and link 2"
        )
    return counts


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (its `--help` documents every option)."""
    parser = argparse.ArgumentParser(
        prog="homeworks-qsx",
        description="Lutron HomeWorks QSX emulator and tools.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve an emulated system over LIP (telnet) and HTTP",
        description=(
            "Serve an emulated HomeWorks QSX processor and its switching modules over the Lutron Integration "
            "Protocol (LIP, telnet-style) and its project database over HTTP (GET /DbXmlInfo.xml). Runs until "
            "SIGINT or SIGTERM."
        ),
    )
    source = serve.add_mutually_exclusive_group()
    source.add_argument(
        "--system",
        metavar="FILE",
        help="system description (.yaml, .yml or .json); see docs/system-description.md",
    )
    source.add_argument(
        "--modules",
        metavar="N[,M]",
        type=_modules_per_link,
        help=f"a default system with N modules on link 1 (and M on link 2); default {DEFAULT_MODULES}",
    )
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; 0.0.0.0 for every interface)",
    )
    serve.add_argument(
        "--lip-port",
        type=int,
        default=DEFAULT_LIP_PORT,
        help=f"LIP (telnet) port, 0 for any free one (default {DEFAULT_LIP_PORT}; a real processor uses 23)",
    )
    serve.add_argument(
        "--http-port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        help=f"HTTP port of /DbXmlInfo.xml, 0 for any free one (default {DEFAULT_HTTP_PORT}; a real processor uses 80)",
    )
    serve.add_argument(
        "--username",
        default=DEFAULT_USERNAME,
        help=f"LIP login name (default {DEFAULT_USERNAME})",
    )
    serve.add_argument(
        "--password",
        default=os.environ.get("QSX_PASSWORD"),
        help="LIP password, required and not empty (default: the QSX_PASSWORD environment variable)",
    )
    serve.add_argument(
        "--state",
        metavar="FILE",
        help=(
            "JSON file of the emulator's description and state: loaded at start when it exists (it then takes "
            "precedence over --system and --modules), saved shortly after every change and at exit"
        ),
    )
    serve.add_argument(
        "--reply-delay-ms",
        type=float,
        default=0.0,
        help="delay before each reply, in milliseconds, to emulate a network round trip (default 0)",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        default=DEFAULT_MAX_SESSIONS,
        help=f"LIP sessions at once (default {DEFAULT_MAX_SESSIONS})",
    )
    serve.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level on standard error (default WARNING)",
    )
    return parser


def _load_emulator(args: argparse.Namespace) -> Emulator:
    """Build the emulator from the state file, the description file, or a default system."""
    # Imported here, not at the top, so that `--help` answers without loading voluptuous, PyYAML and aiohttp.
    from .description import build_description, load_description  # noqa: PLC0415
    from .emulator import Emulator  # noqa: PLC0415

    if args.state and Path(args.state).exists():
        try:
            data = json.loads(Path(args.state).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise DescriptionError(args.state, f"cannot read the state: {err}") from err
        return Emulator.from_export(data)
    if args.system:
        return Emulator(load_description(args.system))
    return Emulator(
        build_description(args.modules or _modules_per_link(DEFAULT_MODULES))
    )


def save_state(emulator: Emulator, path: Path) -> None:
    """Write the emulator's export to `path` atomically (a temporary file, then a rename)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(
        json.dumps(emulator.export_state(), indent=1, sort_keys=True), encoding="utf-8"
    )
    temporary.replace(path)


class _Saver:
    """Save the state a little after changes (one write for a burst of events), and at exit."""

    def __init__(self, emulator: Emulator, path: Path, delay: float) -> None:
        self._emulator = emulator
        self._path = path
        self._delay = delay
        self._handle: asyncio.TimerHandle | None = None
        self._unsubscribe = emulator.events.subscribe(self._changed)

    def _changed(self, event: Event) -> None:
        if self._handle is None:
            self._handle = asyncio.get_running_loop().call_later(self._delay, self.save)

    def save(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        try:
            save_state(self._emulator, self._path)
        except OSError as err:
            _LOGGER.error("Cannot save the state to %s: %s", self._path, err)

    def close(self) -> None:
        self._unsubscribe()
        self.save()


async def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGINT or SIGTERM; return the exit status."""
    from .lip.server import LipServer  # noqa: PLC0415 (see _load_emulator)

    if not args.password:
        print(
            "error: a password is required (--password or QSX_PASSWORD)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.reply_delay_ms < 0:
        print("error: --reply-delay-ms cannot be negative", file=sys.stderr)
        return EXIT_USAGE
    try:
        emulator = _load_emulator(args)
    except (QsxError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    server = LipServer(
        emulator,
        args.host,
        args.lip_port,
        args.username,
        args.password,
        http_port=args.http_port,
        max_sessions=args.max_sessions,
        reply_delay=args.reply_delay_ms / 1000,
    )
    try:
        await server.start()
    except OSError as err:
        print(f"error: cannot listen on {args.host}: {err}", file=sys.stderr)
        emulator.close()
        return EXIT_UNAVAILABLE
    saver = (
        _Saver(emulator, Path(args.state), SAVE_DELAY_SECONDS) if args.state else None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    description = emulator.description
    print(
        f"Serving {description.name!r} ({len(description.modules)} modules): "
        f"LIP on {args.host}:{server.port}, database on http://{args.host}:{server.http_port}/DbXmlInfo.xml",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)
        await server.stop()
        emulator.close()
        if saver is not None:
            saver.close()
    print("Stopped.", flush=True)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command; return the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    handlers: dict[str, Any] = {"serve": serve}
    status: int = asyncio.run(handlers[args.command](args))
    return status


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
