"""Command line: serve an emulated HomeWorks QSX system over LIP and HTTP, and over LEAP, as a processor would.

    homeworks-qsx serve --system examples/house.yaml --password secret
    homeworks-qsx serve --system examples/project.yaml --password secret --processor-host 504F4F4C=127.0.0.3
    homeworks-qsx issue-cert --state house.json --out certs

(`homeworks-qsx` is the console script of the `pyhomeworksqsx` wheel; `python -m pyhomeworksqsx` is the same.)

Every processor of the project is served (P4, LP53), each with its own servers and LEAP CA. It prints one line
saying where it listens (the first processor), then one line per other processor, runs until SIGINT or SIGTERM,
then saves the state (with `--state`) and exits 0. Configuration errors exit 2, an address that cannot be bound
exits 1.
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

from .const import SAVE_DELAY_SECONDS
from .emulator.leap.resources import Profile
from .emulator.limits import DEFAULT_HOST, PORT_STEP
from .errors import DescriptionError, QsxError
from .leap.protocol import LEAP_PORT, PAIRING_PORT
from .leap.pushes import PushForm
from .lip.protocol import (
    DEFAULT_MAX_SESSIONS,
    DEFAULT_USERNAME,
    EMULATOR_HTTP_PORT as DEFAULT_HTTP_PORT,
    EMULATOR_LIP_PORT as DEFAULT_LIP_PORT,
)

if TYPE_CHECKING:
    from .emulator import Emulator
    from .emulator.leap.certs import LeapCredentials
    from .emulator.serving import EmulatorServers
    from .events import Event

DEFAULT_MODULES = "4"
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


def _processor_host(text: str) -> tuple[str, str]:
    serial, _, host = text.partition("=")
    if not serial.strip() or not host.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SERIAL=ADDRESS (a processor's serial and the address to serve it on)"
        )
    return serial.strip(), host.strip()


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (its `--help` documents every option)."""
    parser = argparse.ArgumentParser(
        prog="homeworks-qsx",
        description="Lutron HomeWorks QSX emulator and tools.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve an emulated system over LIP (telnet) and HTTP, and over LEAP (TLS)",
        description=(
            "Serve an emulated HomeWorks QSX processor and its switching modules over the Lutron Integration "
            "Protocol (LIP, telnet-style) with its project database over HTTP (GET /DbXmlInfo.xml), and over "
            "LEAP (JSON over TLS) with its pairing port. Runs until SIGINT or SIGTERM."
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
        "--processor-host",
        metavar="SERIAL=ADDRESS",
        type=_processor_host,
        action="append",
        default=[],
        help=(
            "serve the processor with this serial on its own address, with the same ports as the first (as real "
            "processors, e.g. 127.0.0.3 for a second one); a processor without one shares --host, each of its "
            f"ports moved by {PORT_STEP} per place in the project (the second on 8091, 8093, 2333, 8090); repeatable"
        ),
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
    leap = serve.add_argument_group("LEAP (the processor's native protocol over TLS)")
    leap.add_argument(
        "--leap-port",
        type=int,
        default=LEAP_PORT,
        help=f"LEAP port, 0 for any free one (default {LEAP_PORT}, as on a processor)",
    )
    leap.add_argument(
        "--pairing-port",
        type=int,
        default=PAIRING_PORT,
        help=f"pairing (LAP) port, 0 for any free one (default {PAIRING_PORT}, as on a processor)",
    )
    leap.add_argument(
        "--pairing-window",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="open the pairing window for this long at start, as if the processor's button were pressed (default 0: closed)",
    )
    leap.add_argument(
        "--leap-ca",
        metavar="FILE",
        help=(
            "file of the emulator's LEAP certificate authority (created if it does not exist): instead of the one "
            "beside --state, so LEAP keeps its CA without the state being saved"
        ),
    )
    leap.add_argument(
        "--leap-profile",
        choices=[profile.value for profile in Profile],
        default=Profile.FULL.value,
        help="how modules are listed: full (model, serial, zones) or anonymous (as a real QSX: Unknown devices)",
    )
    leap.add_argument(
        "--leap-push-form",
        choices=[form.value for form in PushForm],
        default=PushForm.COLLECTION.value,
        help=(
            "how changes are pushed: collection (tagged Multiple... deltas, as a QSX), object (tagged One... "
            "statuses) or untagged (untagged One... statuses, as Caseta); for testing clients (default collection)"
        ),
    )
    leap.add_argument(
        "--no-leap", action="store_true", help="serve no LEAP and no pairing"
    )
    serve.add_argument(
        "--no-lip", action="store_true", help="serve no LIP and no HTTP database"
    )
    serve.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level on standard error (default WARNING)",
    )
    issue = commands.add_parser(
        "issue-cert",
        help="issue a LEAP client certificate signed by the emulator's CA",
        description=(
            "Write a client key, its certificate and the emulator's CA as the three PEM files Home Assistant's "
            "lutron_caseta integration uses (lutron_caseta-<id>-key.pem, -cert.pem, -ca.pem), and print how to use "
            "them. The CA is the one `serve --state FILE` uses (created now if it does not exist yet)."
        ),
    )
    authority = issue.add_mutually_exclusive_group(required=True)
    authority.add_argument(
        "--state",
        metavar="FILE",
        help="the emulator's state file (as for serve): the CA beside it",
    )
    authority.add_argument(
        "--leap-ca",
        metavar="FILE",
        help="the CA file (as for serve --leap-ca)",
    )
    issue.add_argument(
        "--processor",
        metavar="SERIAL",
        help=(
            "issue with the CA of this processor of a project (each has its own, LP53; its CA is in the file once "
            "serve has served the project); default: the first processor's"
        ),
    )
    issue.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="folder to write the three files into",
    )
    issue.add_argument(
        "--id",
        default=DEFAULT_HOST,
        help=f"the <id> in the file names (lutron_caseta uses the processor's host; default {DEFAULT_HOST})",
    )
    issue.add_argument(
        "--host",
        help="the emulator's address, for the printed example (default: the --id, as lutron_caseta names files after the host)",
    )
    issue.add_argument(
        "--leap-port",
        type=int,
        default=LEAP_PORT,
        help="the LEAP port, for the printed example",
    )
    return parser


def _load_emulator(args: argparse.Namespace) -> Emulator:
    """Build the emulator from the state file, the description file, or a default system."""
    # Imported here, not at the top, so that `--help` answers without loading voluptuous, PyYAML and aiohttp.
    from .emulator import Emulator  # noqa: PLC0415
    from .emulator.description import build_description, load_description  # noqa: PLC0415

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


def _ca_path(args: argparse.Namespace) -> Path | None:
    """Where the emulator's CA is kept: `--leap-ca`, else beside `--state`; None with neither."""
    from .emulator.leap.certs import LeapCredentials  # noqa: PLC0415 (see _load_emulator)

    if args.leap_ca:
        return Path(args.leap_ca)
    if args.state:
        return LeapCredentials.companion_path(Path(args.state))
    return None


def _credentials(
    args: argparse.Namespace, serials: Sequence[str]
) -> dict[str, LeapCredentials]:
    """Return each processor's CA (LP53), kept in one file (created on first start), or new for this run without one.

    The first processor's CA is the one a file of a single processor holds, so such a file loads unchanged.
    """
    from .emulator.leap.certs import LeapCredentials, load_or_create_project  # noqa: PLC0415 (see _load_emulator)

    path = _ca_path(args)
    if path is None:
        print(
            "warning: no --state or --leap-ca: a new LEAP certificate authority for this run only (issued "
            "certificates will not survive a restart)",
            file=sys.stderr,
        )
        return {
            serial: LeapCredentials.generate(None if place == 0 else serial)
            for place, serial in enumerate(serials)
        }
    credentials, _ = load_or_create_project(path, serials)
    return credentials


def _where(servers: EmulatorServers, args: argparse.Namespace) -> str:
    """Say where one processor's servers listen."""
    parts: list[str] = []
    host = servers.host
    if servers.lip is not None:
        parts.append(
            f"LIP on {host}:{servers.lip.port}, database on http://{host}:{servers.lip.http_port}/DbXmlInfo.xml"
        )
    if servers.leap is not None and servers.pairing is not None:
        parts.append(
            f"LEAP on {host}:{servers.leap.port} ({args.leap_profile}"
            + (
                f", {args.leap_push_form} pushes"
                if args.leap_push_form != PushForm.COLLECTION
                else ""
            )
            + f"), pairing on {host}:{servers.pairing.port}"
            + (
                f" (window open {args.pairing_window:g} s)"
                if args.pairing_window
                else ""
            )
        )
    return "; ".join(parts)


async def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGINT or SIGTERM; return the exit status."""
    from .emulator.serving import (  # noqa: PLC0415 (see _load_emulator)
        LipLogin,
        ProcessorBind,
        ProjectLeap,
        create_project_servers,
        project_binds,
    )

    if args.no_lip and args.no_leap:
        print("error: --no-lip and --no-leap leave nothing to serve", file=sys.stderr)
        return EXIT_USAGE
    if not args.password and not args.no_lip:
        print(
            "error: a password is required (--password or QSX_PASSWORD)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.reply_delay_ms < 0:
        print("error: --reply-delay-ms cannot be negative", file=sys.stderr)
        return EXIT_USAGE
    if args.pairing_window < 0:
        print("error: --pairing-window cannot be negative", file=sys.stderr)
        return EXIT_USAGE
    try:
        emulator = _load_emulator(args)
        description = emulator.description
        binds = project_binds(
            description,
            ProcessorBind(
                args.host,
                args.leap_port,
                args.pairing_port,
                args.lip_port,
                args.http_port,
            ),
            dict(args.processor_host),
        )
        credentials = None if args.no_leap else _credentials(args, list(binds))
    except (QsxError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    servers = create_project_servers(
        emulator,
        binds,
        lip=None
        if args.no_lip
        else LipLogin(args.username, args.password, args.max_sessions),
        leap=None
        if credentials is None
        else ProjectLeap(
            credentials, Profile(args.leap_profile), PushForm(args.leap_push_form)
        ),
        reply_delay=args.reply_delay_ms / 1000,
    )
    try:
        await servers.async_start()
    except OSError as err:
        print(f"error: cannot listen: {err}", file=sys.stderr)
        emulator.close()
        return EXIT_UNAVAILABLE
    emulator.start()  # built before the loop ran: its timeclocks are scheduled now
    if args.pairing_window:
        for processor in servers.processors.values():
            if processor.pairing is not None and processor.listening:
                processor.pairing.open_pairing_window(args.pairing_window)
    saver = (
        _Saver(emulator, Path(args.state), SAVE_DELAY_SECONDS) if args.state else None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    others = list(servers.processors.values())[1:]
    print(
        f"Serving {description.name!r} ({len(description.modules)} modules"
        + (f", {len(others) + 1} processors" if others else "")
        + f"): {_where(servers.first, args)}",
        flush=True,
    )
    for processor in others:
        print(
            f"Processor {processor.processor}"
            + ("" if processor.listening else " (cut off the network)")
            + f": {_where(processor, args)}",
            flush=True,
        )
    try:
        await stop.wait()
    finally:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)
        await servers.async_stop()
        emulator.close()
        if saver is not None:
            saver.close()
    print("Stopped.", flush=True)
    return EXIT_OK


def _processor_credentials(path: Path, serial: str) -> LeapCredentials:
    """Return the CA of the processor with `serial` from the CA file `path`; `ValueError` says why it cannot."""
    from .emulator.leap.certs import project_credentials_from_dict  # noqa: PLC0415 (see _load_emulator)

    if not path.exists():
        raise ValueError(
            f"{path} does not exist yet: serve the project once, then issue for processor {serial}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: cannot read the LEAP credentials: {err}") from None
    # The first processor's CA is the file's own (keyed "" here); the others are kept by serial.
    found = (
        project_credentials_from_dict(data, "").get(serial.upper())
        if serial and isinstance(data, dict)
        else None
    )
    if found is None:
        raise ValueError(
            f"{path} holds no CA of processor {serial!r} (the first processor's is used without --processor; "
            "serving the project creates the others)"
        )
    return found


async def issue_cert(args: argparse.Namespace) -> int:
    """Write a client key, certificate and the CA for LEAP (LP21's direct issue); return the exit status."""
    from .emulator.leap.certs import LeapCredentials  # noqa: PLC0415 (see _load_emulator)

    ca_path = _ca_path(args)
    assert ca_path is not None  # the parser requires --state or --leap-ca
    try:
        if args.processor is None:
            credentials, created = LeapCredentials.load_or_create(ca_path)
        else:
            credentials, created = (
                _processor_credentials(ca_path, args.processor),
                False,
            )
        paths = credentials.write_client_files(Path(args.out), args.id)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    if created:
        print(f"Created the emulator's LEAP certificate authority in {ca_path}")
    for path in paths.values():
        print(f"Wrote {path}")
    port = "" if args.leap_port == LEAP_PORT else f", port={args.leap_port}"
    print(
        f"Use them with pylutron-caseta (serve with the same {'--leap-ca' if args.leap_ca else '--state'}):\n"
        f"    bridge = Smartbridge.create_tls({args.host or args.id!r}, {str(paths['key'])!r}, {str(paths['cert'])!r}, "
        f"{str(paths['ca'])!r}{port})\n"
        "    await bridge.connect()",
        flush=True,
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command; return the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handlers: dict[str, Any] = {"serve": serve, "issue-cert": issue_cert}
    status: int = asyncio.run(handlers[args.command](args))
    return status


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
