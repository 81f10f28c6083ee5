"""Pairing (LP20, LP21) through pylutron-caseta's `async_pair`, against the emulator's pairing and LEAP ports.

pylutron-caseta connects to the fixed ports 8083 and 8081 of the host it is given: the emulator listens on its own
loopback address. Only pylutron-caseta's trust is changed (to the emulator's CA, LP21): a real processor's pairing
server is signed by Lutron, which the emulator cannot be.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
import contextlib
from typing import Any

import pytest
import pytest_socket

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.pairing_server import (
    PairingServer,
    status_line,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.errors import (
    PairingRefusedError,
    PairingTimeoutError,
    PairingUnreachableError,
)
from custom_components.homeworks_qsx.qsx.leap.backend import LeapBackend
from custom_components.homeworks_qsx.qsx.leap.pairing_client import async_pair_processor
from custom_components.homeworks_qsx.qsx.leap.protocol import LEAP_PORT, PAIRING_PORT

from .rig import FAST, house, scripted

PAIRING_HOST = "127.0.0.6"
NOBODY = "127.0.0.7"  # nothing listens there


@pytest.fixture(autouse=True)
def pairing_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test connect to its own loopback addresses as well as 127.0.0.1."""
    pytest_socket.socket_allow_hosts([PAIRING_HOST, NOBODY, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@contextlib.asynccontextmanager
async def emulated_processor(**pairing: Any) -> AsyncIterator[PairingServer]:
    """Serve the emulator's pairing port (8083) and LEAP port (8081) on their own loopback address."""
    emulator = Emulator(house())
    credentials = LeapCredentials.generate()
    server = LeapServer(emulator, credentials, PAIRING_HOST, LEAP_PORT)
    pairing_server = PairingServer(credentials, PAIRING_HOST, PAIRING_PORT, **pairing)
    await server.start()
    await pairing_server.start()
    try:
        yield pairing_server
    finally:
        await pairing_server.stop()
        await server.stop()
        emulator.close()


def trust(monkeypatch: pytest.MonkeyPatch, credentials: LeapCredentials) -> None:
    """Point pylutron-caseta's trust of the pairing server at the emulator's CA."""
    monkeypatch.setattr("pylutron_caseta.pairing.LAP_CA_PEM", credentials.ca_cert_pem)


async def test_pairing_gives_working_certificates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LP20: with the button pressed, pairing gives a key, a certificate and the CA that open a LEAP session."""
    async with emulated_processor() as pairing_server:
        trust(monkeypatch, pairing_server.credentials)
        waiting: list[bool] = []

        def ready() -> None:
            waiting.append(True)
            pairing_server.open_pairing_window(5)

        certificates = await async_pair_processor(PAIRING_HOST, ready)
        assert waiting == [True]
        assert "PRIVATE KEY" in certificates.key_pem
        assert "PRIVATE KEY" not in repr(certificates)
        assert certificates.ca_pem == pairing_server.credentials.ca_cert_pem
        backend = LeapBackend(PAIRING_HOST, certificates, port=LEAP_PORT, timings=FAST)
        await backend.async_start()
        assert backend.description.processor.serial == "0A0B0C0D"
        await backend.async_stop()


async def test_pairing_button_not_pressed(monkeypatch: pytest.MonkeyPatch) -> None:
    """LP21: without the button, pairing ends in `PairingTimeoutError` (ours, or the processor giving up)."""
    async with emulated_processor() as pairing_server:
        trust(monkeypatch, pairing_server.credentials)
        with pytest.raises(PairingTimeoutError, match="pairing button"):
            await async_pair_processor(PAIRING_HOST, timeout=0.3)
    async with emulated_processor(pairing_timeout=0.2) as pairing_server:
        trust(monkeypatch, pairing_server.credentials)
        with pytest.raises(PairingTimeoutError, match="closed"):
            await async_pair_processor(PAIRING_HOST)


async def test_pairing_server_not_trusted() -> None:
    """A pairing server whose certificate Lutron did not sign is refused (as the emulator's is, untrusted)."""
    async with emulated_processor():
        with pytest.raises(PairingRefusedError, match="secure connection"):
            await async_pair_processor(PAIRING_HOST)


async def test_pairing_refused_by_the_processor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A processor that answers the signing request without a certificate refuses the pairing."""
    credentials = LeapCredentials.generate()
    trust(monkeypatch, credentials)

    def refuse(request: dict[str, Any], send: Any) -> None:
        send(
            {
                "Header": {"StatusCode": "400 BadRequest", "ClientTag": "get-cert"},
                "Body": {"Message": "no"},
            }
        )

    context = credentials.server_context(require_client_certificate=False)
    async with scripted(
        credentials,
        refuse,
        context,
        host=PAIRING_HOST,
        port=PAIRING_PORT,
        greeting=status_line(granted=True),
    ):
        with pytest.raises(PairingRefusedError, match="without a certificate"):
            await async_pair_processor(PAIRING_HOST)


async def test_pairing_host_unreachable() -> None:
    """Nothing listening on 8083: `PairingUnreachableError`."""
    with pytest.raises(PairingUnreachableError, match=NOBODY):
        await async_pair_processor(NOBODY)
