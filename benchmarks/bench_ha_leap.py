"""Home Assistant set-up of a LEAP entry: from `async_setup` of the config entry until every entity has a state.

Ours: a LEAP entry (the integration's own pipelined client) of the emulator served over LEAP by a child process on
its own loopback address, at port 8081. References, in the same run, against the same served emulator:

- the benchmark-only floor integration (`benchmarks/ha_floor/`) creating the same devices and the same entities
  per platform (copied from ours on a one-module system) with constant states: Home Assistant's own cost;
- Home Assistant's core `lutron_caseta` integration (pylutron-caseta's `Smartbridge`, which always dials 8081),
  set up with certificate files the emulator issued, in the Home Assistant configuration directory.

Modules are listed in full (LP16), replies are instant.

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

from benchmarks.bench_ha_setup import TIME_GOAL, repeats
from benchmarks.common import (
    Row,
    Served,
    leap_server,
    median,
    modules_per_link,
    parse_args,
    report,
    sizes_from,
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
from custom_components.homeworks_qsx.qsx.leap import LEAP_PORT, LeapCredentials
from homeassistant.const import CONF_HOST

# Core lutron_caseta and pylutron-caseta always dial 8081: the emulator gets a loopback address of its own.
HOST = "127.0.0.41"
CASETA_DOMAIN = "lutron_caseta"
CASETA_FILES = ("caseta-key.pem", "caseta-cert.pem", "caseta-ca.pem")


def leap_data(
    credentials: LeapCredentials, certificate: tuple[str, str]
) -> dict[str, Any]:
    """Entry data of our LEAP entry, with a certificate the emulator issued."""
    key, cert = certificate
    return {
        CONF_BACKEND: BackendType.LEAP.value,
        CONF_HOST: HOST,
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
        _, seconds, entities = await setup_entry(hass, domain, data, title)
        return seconds, entities


async def layout(data: dict[str, Any]) -> Layout:
    """Set up a one-module LEAP system (warming imports up); return its entity layout."""
    async with home_assistant() as hass:
        entry, _, _ = await setup_entry(hass, our_domain(), data, "Layout")
        return layout_of(hass, entry.entry_id)


async def bench(args: argparse.Namespace) -> None:
    """Measure every size: ours against the floor and against core lutron_caseta."""
    logging.getLogger("pylutron_caseta").setLevel(logging.ERROR)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="qsx-bench-haleap-") as name:
        folder = Path(name)
        credentials = LeapCredentials.generate()
        certificate = credentials.issue_client()
        ours_data = leap_data(credentials, certificate)

        async def served(size: int) -> Any:
            ca_file = folder / f"ca-{size}.json"
            credentials.save(ca_file)
            return leap_server(
                ca_file, modules=modules_per_link(size), host=HOST, leap_port=LEAP_PORT
            )

        async with await served(1) as _one:
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
        for size in sizes_from(args):
            server: Served
            async with await served(size) as server:
                assert server.port == LEAP_PORT
                samples: dict[str, list[float]] = {
                    "ours": [],
                    "floor": [],
                    "caseta": [],
                }
                counts: dict[str, int] = {}
                for _ in range(
                    repeats(size)
                ):  # alternate, so that all see the same machine
                    for kind, domain, data in (
                        ("ours", our_domain(), ours_data),
                        ("floor", FLOOR_DOMAIN, floor_data(size, entity_layout)),
                        ("caseta", CASETA_DOMAIN, caseta_data()),
                    ):
                        seconds, counts[kind] = await measure(
                            domain, data, f"Bench {size}", credentials, certificate
                        )
                        samples[kind].append(seconds)
            if counts["ours"] != counts["floor"]:
                raise RuntimeError(
                    f"floor has {counts['floor']} entities, ours {counts['ours']}"
                )
            ours = median(samples["ours"])
            floor = median(samples["floor"])
            caseta = median(samples["caseta"])
            rows.append(
                Row(
                    "8 HA LEAP set-up",
                    f"set-up time, LEAP, {size} modules ({counts['ours']} entities)",
                    "ms",
                    ours * 1000,
                    floor * 1000,
                    "HA floor",
                    f"<= {TIME_GOAL:g}x floor",
                    ours <= TIME_GOAL * floor,
                )
            )
            rows.append(
                Row(
                    "8 HA LEAP set-up",
                    f"set-up time, LEAP, {size} modules, against core lutron_caseta "
                    f"({counts['caseta']} entities)",
                    "ms",
                    ours * 1000,
                    caseta * 1000,
                    "lutron_caseta",
                    "",
                    None,
                )
            )
    report(rows, args.json)


def main() -> None:
    """Parse the options and run on Home Assistant's event loop."""
    run_benchmark(bench, parse_args(__doc__ or ""))


if __name__ == "__main__":
    main()
