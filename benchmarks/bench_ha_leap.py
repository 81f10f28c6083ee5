"""Home Assistant set-up of a LEAP entry: from `async_setup` of the config entry until every entity has a state.

Ours: a LEAP entry (the integration's own pipelined client) of the emulator served over LEAP by a child process on
its own loopback address, at port 8081. References, in the same run, against the same served emulator:

- the benchmark-only floor integration (`benchmarks/ha_floor/`) creating the same devices and the same entities
  per platform (copied from ours on a one-module system) with constant states: Home Assistant's own cost;
- Home Assistant's core `lutron_caseta` integration (pylutron-caseta's `Smartbridge`, which always dials 8081),
  set up with certificate files the emulator issued, in the Home Assistant configuration directory.

Systems: 1, 10 and 198 switching modules listed in full (LP16), and the largest house (`benchmarks/house.py`: two
full QS links of modules, dimming modules, shades and keypads), which the floor cannot copy (it has no lights or
covers): the house is compared with core `lutron_caseta` only. Replies are instant, and for the largest systems
also delayed by 5 ms each (a network round trip, which instant replies hide): the goal of a delayed house set-up
is to be at least 10x faster than core `lutron_caseta`.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_ha_leap``.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
from pathlib import Path
import tempfile
from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.bench_ha_setup import TIME_GOAL, repeats
from benchmarks.common import (
    HOUSE,
    PROJECT,
    SIZES,
    Row,
    Served,
    SystemCase,
    add_delays,
    argument_parser,
    delays_from,
    leap_server,
    median,
    report,
    systems_from,
)
from benchmarks.ha_harness import (
    FLOOR_DOMAIN,
    Layout,
    floor_data,
    home_assistant,
    layout_of,
    our_domain,
    run_benchmark,
    setup_entry,
)
from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_KEY_PEM,
    BackendType,
)
from custom_components.homeworks_qsx.qsx.leap import (
    LEAP_PORT,
    LeapBackend,
    LeapCredentials,
)
from homeassistant.const import CONF_HOST

# Core lutron_caseta and pylutron-caseta always dial 8081: the emulator gets a loopback address of its own.
HOST = "127.0.0.41"
CASETA_DOMAIN = "lutron_caseta"
CASETA_FILES = ("caseta-key.pem", "caseta-cert.pem", "caseta-ca.pem")
DELAYS_MS = (0.0, 5.0)  # the delayed set-ups: the largest systems only
CASETA_GOAL_SPEEDUP = 10.0  # the largest house, 5 ms replies
DELAYED_REPEATS = 3  # core lutron_caseta takes seconds there


def leap_data(
    credentials: LeapCredentials, certificate: tuple[str, str], host: str = HOST
) -> dict[str, Any]:
    """Entry data of our LEAP entry of the emulator at `host`, with a certificate the emulator issued."""
    key, cert = certificate
    return {
        CONF_BACKEND: BackendType.LEAP.value,
        CONF_HOST: host,
        CONF_KEY_PEM: key,
        CONF_CERT_PEM: cert,
        CONF_CA_PEM: credentials.ca_cert_pem,
    }


def caseta_data() -> dict[str, Any]:
    """Entry data of core lutron_caseta: the certificate files, relative to the configuration directory."""
    keyfile, certfile, ca_certs = CASETA_FILES
    return {
        CONF_HOST: HOST,
        "keyfile": keyfile,
        "certfile": certfile,
        "ca_certs": ca_certs,
    }


def write_caseta_files(
    config_dir: str, credentials: LeapCredentials, certificate: tuple[str, str]
) -> None:
    """Write the certificate files lutron_caseta reads (the key readable by its owner only)."""
    key, cert = certificate
    folder = Path(config_dir)
    descriptor = os.open(
        folder / CASETA_FILES[0], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600
    )
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key)
    (folder / CASETA_FILES[1]).write_text(cert, encoding="ascii")
    (folder / CASETA_FILES[2]).write_text(credentials.ca_cert_pem, encoding="ascii")


async def measure(
    domain: str,
    data: dict[str, Any],
    title: str,
    credentials: LeapCredentials,
    certificate: tuple[str, str],
) -> tuple[float, int]:
    """Set up one entry in a fresh Home Assistant; return (seconds, entities with a state)."""
    async with home_assistant() as hass:
        if domain == CASETA_DOMAIN:
            await hass.async_add_executor_job(
                write_caseta_files, hass.config.config_dir, credentials, certificate
            )
        gc.collect()
        _, seconds, entities = await setup_entry(
            hass,
            domain,
            data,
            title,
            subscribed if domain == our_domain() else None,
        )
        return seconds, entities


async def subscribed(entry: MockConfigEntry) -> None:
    """Wait until our LEAP entry's start-up subscriptions, the buttons' events too (LP39), are answered.

    Core `lutron_caseta`'s set-up subscribes to every button before it returns: ours is timed to the same point.
    """
    backend = entry.runtime_data.backend
    assert isinstance(backend, LeapBackend)
    await backend.client.wait_subscribed()


async def layout(data: dict[str, Any]) -> Layout:
    """Set up a one-module LEAP system (warming imports up); return its entity layout."""
    async with home_assistant() as hass:
        entry, _, _ = await setup_entry(hass, our_domain(), data, "Layout")
        return layout_of(hass, entry.entry_id)


def rounds(case: SystemCase, delay_ms: float, most: int | None) -> int:
    """How many times each integration is set up for one case (alternating), at most `most`."""
    if most is not None:
        return min(most, rounds(case, delay_ms, None))
    if delay_ms:
        return DELAYED_REPEATS
    return repeats(case.modules or 199)


def case_rows(
    case: SystemCase,
    delay_ms: float,
    samples: dict[str, list[float]],
    counts: dict[str, int],
) -> list[Row]:
    """Return the figures of one case: ours against the floor (module systems, instant replies) and core lutron_caseta."""
    ours = median(samples["ours"])
    caseta = median(samples["caseta"])
    where = f"{case.label}, reply delay {delay_ms:g} ms"
    rows: list[Row] = []
    if samples.get("floor"):
        floor = median(samples["floor"])
        rows.append(
            Row(
                "8 HA LEAP set-up",
                f"set-up time, LEAP, {where} ({counts['ours']} entities)",
                "ms",
                ours * 1000,
                floor * 1000,
                "HA floor",
                f"<= {TIME_GOAL:g}x floor",
                ours <= TIME_GOAL * floor,
            )
        )
    goal = ""
    met: bool | None = None
    if case.house and delay_ms:
        goal = f">= {CASETA_GOAL_SPEEDUP:g}x faster than lutron_caseta"
        met = caseta / ours >= CASETA_GOAL_SPEEDUP
    rows.append(
        Row(
            "8 HA LEAP set-up",
            f"set-up time, LEAP, {where}, ours ({counts['ours']} entities) against core lutron_caseta "
            f"({counts['caseta']} entities)",
            "ms",
            ours * 1000,
            caseta * 1000,
            "lutron_caseta",
            goal,
            met,
        )
    )
    return rows


async def bench(args: argparse.Namespace) -> None:
    """Measure every system: ours against the floor and against core lutron_caseta, then with delayed replies."""
    logging.getLogger("pylutron_caseta").setLevel(logging.ERROR)
    rows: list[Row] = []
    cases = systems_from(args)
    with tempfile.TemporaryDirectory(prefix="qsx-bench-haleap-") as name:
        folder = Path(name)
        credentials = LeapCredentials.generate()
        certificate = credentials.issue_client()
        ours_data = leap_data(credentials, certificate)
        ca_file = folder / "ca.json"
        credentials.save(ca_file)

        def served(case: SystemCase, delay_ms: float) -> Any:
            return leap_server(
                ca_file,
                host=HOST,
                leap_port=LEAP_PORT,
                reply_delay_ms=delay_ms,
                **case.serve_options(folder),
            )

        async with served(SystemCase(1), 0.0):
            entity_layout = await layout(ours_data)
            await measure(  # warm lutron_caseta and the floor up too
                CASETA_DOMAIN, caseta_data(), "Caseta", credentials, certificate
            )
            await measure(
                FLOOR_DOMAIN,
                floor_data(1, entity_layout),
                "Floor",
                credentials,
                certificate,
            )
        for delay_ms in delays_from(args):
            for case in cases:
                if delay_ms and not case.large:
                    continue
                server: Served
                async with served(case, delay_ms) as server:
                    assert server.port == LEAP_PORT
                    kinds: list[tuple[str, str, dict[str, Any]]] = [
                        ("ours", our_domain(), ours_data)
                    ]
                    if case.modules is not None and not delay_ms:
                        kinds.append(
                            (
                                "floor",
                                FLOOR_DOMAIN,
                                floor_data(case.modules, entity_layout),
                            )
                        )
                    kinds.append(("caseta", CASETA_DOMAIN, caseta_data()))
                    samples: dict[str, list[float]] = {kind: [] for kind, _, _ in kinds}
                    counts: dict[str, int] = {}
                    # Alternate, so that all see the same machine.
                    for _ in range(rounds(case, delay_ms, args.rounds)):
                        for kind, domain, data in kinds:
                            seconds, counts[kind] = await measure(
                                domain,
                                data,
                                f"Bench {case.label}",
                                credentials,
                                certificate,
                            )
                            samples[kind].append(seconds)
                if "floor" in counts and counts["ours"] != counts["floor"]:
                    raise RuntimeError(
                        f"floor has {counts['floor']} entities, ours {counts['ours']}"
                    )
                rows.extend(case_rows(case, delay_ms, samples, counts))
    report(rows, args.json)


def main() -> None:
    """Parse the options and run on Home Assistant's event loop."""
    parser = argument_parser(__doc__ or "")
    parser.set_defaults(
        sizes=",".join([*(str(size) for size in SIZES), HOUSE, PROJECT])
    )
    add_delays(parser, DELAYS_MS)
    parser.add_argument(
        "--rounds",
        type=int,
        help="set-ups of each integration per case, at most (default: as many as each case gets)",
    )
    run_benchmark(bench, parser.parse_args())


if __name__ == "__main__":
    main()
