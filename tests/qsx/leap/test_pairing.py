"""Pairing (LP20, LP21): raw checks, and pylutron-caseta's own `async_pair` against the emulator.

`async_pair` always dials ports 8083 and 8081: that test binds the emulator on its own loopback address.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
import json
from pathlib import Path
import ssl
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pylutron_caseta import pairing
from pylutron_caseta.smartbridge import Smartbridge
import pytest
import pytest_socket

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.pairing_server import (
    MAX_CERTIFICATES_PER_WINDOW,
    PairingServer,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from tests.qsx.serving import WAIT, wait_for

from .conftest import A1, LeapSession

PAIRING_HOST = "127.0.0.5"


def csr_pem(key: Any, common_name: str = "pylutron_caseta") -> str:
    """Return a certificate signing request for `key`."""
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


def pair_request(csr: Any, **header: Any) -> dict[str, Any]:
    """Return the request pylutron-caseta sends once it has the permission (LP20)."""
    return {
        "Header": {
            "RequestType": "Execute",
            "Url": "/pair",
            "ClientTag": "get-cert",
            **header,
        },
        "Body": {
            "CommandType": "CSR",
            "Parameters": {
                "CSR": csr,
                "DisplayName": "test",
                "DeviceUID": "000000000000",
                "Role": "Admin",
            },
        },
    }


@pytest.fixture
def anonymous_context() -> ssl.SSLContext:
    """Return a client context with no certificate that trusts anything (a pairing client before it has a CA)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
async def pairing_server(
    socket_enabled: None, credentials: LeapCredentials
) -> AsyncGenerator[PairingServer]:
    """Return a pairing server on 127.0.0.1, ephemeral port, window closed."""
    server = PairingServer(credentials, "127.0.0.1", 0)
    await server.start()
    yield server
    await server.stop()


async def open_pairing(server: PairingServer, context: ssl.SSLContext) -> LeapSession:
    """Connect to the pairing port."""
    return await LeapSession.open(server.port, context)


async def test_lp20_window_open_grants_and_signs(
    pairing_server: PairingServer,
    anonymous_context: ssl.SSLContext,
    credentials: LeapCredentials,
) -> None:
    """LP20: while the window is open the status line grants PhysicalAccess; the CSR is signed, tagged get-cert."""
    pairing_server.open_pairing_window(5)
    session = await open_pairing(pairing_server, anonymous_context)
    status = await session.receive()
    assert status["Header"]["ContentType"].startswith("status;")
    assert "PhysicalAccess" in status["Body"]["Status"]["Permissions"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    session.send(pair_request(csr_pem(key)))
    reply = await session.receive()
    assert reply["Header"]["ClientTag"] == "get-cert"
    result = reply["Body"]["SigningResult"]
    assert result["RootCertificate"] == credentials.ca_cert_pem
    certificate = x509.load_pem_x509_certificate(result["Certificate"].encode())
    certificate.verify_directly_issued_by(credentials.ca_certificate)
    assert certificate.public_key() == key.public_key()
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert 3650 <= lifetime.days <= 3651  # LP21: 10 years
    assert await session.read_eof() == b""  # closed once paired
    assert pairing_server.diagnostics()["paired"] == 1


async def test_lp21_outside_the_window_no_permission_then_closed(
    socket_enabled: None,
    credentials: LeapCredentials,
    anonymous_context: ssl.SSLContext,
) -> None:
    """LP21: outside the window the status line has no permission, a CSR is refused, and the port closes later."""
    server = PairingServer(credentials, "127.0.0.1", 0, pairing_timeout=0.3)
    await server.start()
    try:
        session = await open_pairing(server, anonymous_context)
        status = await session.receive()
        assert status["Body"]["Status"]["Permissions"] == ["Public"]
        key = ec.generate_private_key(ec.SECP256R1())
        session.send(pair_request(csr_pem(key)))
        refused = await session.receive()
        assert refused["Header"]["StatusCode"] == "403 Forbidden"
        assert refused["Header"]["ClientTag"] == "get-cert"
        assert "pairing button" in refused["Body"]["Message"]
        assert (
            await session.read_eof() == b""
        )  # closed at the deadline (180 s; 0.3 s here)
    finally:
        await server.stop()


async def test_lp21_window_opening_later_grants_waiting_clients(
    pairing_server: PairingServer, anonymous_context: ssl.SSLContext
) -> None:
    """LP21: a client that waits receives the granting status line when the button is pressed; the window ends."""
    session = await open_pairing(pairing_server, anonymous_context)
    assert (await session.receive())["Body"]["Status"]["Permissions"] == ["Public"]
    assert not pairing_server.pairing_window_open
    pairing_server.open_pairing_window(0.2)
    assert pairing_server.pairing_window_open
    assert (
        "PhysicalAccess" in (await session.receive())["Body"]["Status"]["Permissions"]
    )
    await wait_for(lambda: not pairing_server.pairing_window_open)
    late = await open_pairing(pairing_server, anonymous_context)
    assert (await late.receive())["Body"]["Status"]["Permissions"] == ["Public"]
    with pytest.raises(ValueError, match="more than 0"):
        pairing_server.open_pairing_window(0)
    await session.close()
    await late.close()


@pytest.mark.parametrize(
    ("make_message", "status", "message"),
    [
        (lambda: pair_request("not a csr"), "400 BadRequest", "not valid PEM"),
        (
            lambda: pair_request(csr_pem(rsa.generate_private_key(65537, 1024))),
            "400 BadRequest",
            "too short",
        ),
        (
            lambda: pair_request(csr_pem(ec.generate_private_key(ec.SECP384R1()))),
            "400 BadRequest",
            "secp384r1",
        ),
        (lambda: pair_request(5), "400 BadRequest", "PEM string"),
        (lambda: pair_request("x" * 20000), "400 BadRequest", "too long"),
        (
            lambda: {**pair_request("x"), "Body": {"CommandType": "Other"}},
            "400 BadRequest",
            "CommandType CSR",
        ),
        (lambda: pair_request("x", RequestType="Read"), "400 BadRequest", "Execute"),
        (lambda: pair_request("x", Url="/other"), "404 NotFound", "/pair"),
    ],
)
async def test_lp21_bad_requests_are_refused(
    pairing_server: PairingServer,
    anonymous_context: ssl.SSLContext,
    make_message: Any,
    status: str,
    message: str,
) -> None:
    """LP21: only a well-formed CSR for RSA 2048+ or EC P-256 is signed; others get an error naming the cause."""
    pairing_server.open_pairing_window(5)
    session = await open_pairing(pairing_server, anonymous_context)
    await session.receive()
    session.send(make_message())
    reply = await session.receive()
    assert reply["Header"]["StatusCode"] == status
    assert message in reply["Body"]["Message"]
    session.send_raw(b"not json\r\n")
    assert (await session.receive())["Header"]["StatusCode"] == "400 BadRequest"
    assert pairing_server.diagnostics()["paired"] == 0
    await session.close()


async def test_lp21_tampered_csr_signature_is_refused(
    pairing_server: PairingServer, anonymous_context: ssl.SSLContext
) -> None:
    """LP21: a CSR whose signature does not match its content is refused."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    request = x509.load_pem_x509_csr(csr_pem(key).encode())
    der = bytearray(request.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0xFF  # inside the signature
    tampered = (
        x509.load_der_x509_csr(bytes(der))
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    pairing_server.open_pairing_window(5)
    session = await open_pairing(pairing_server, anonymous_context)
    await session.receive()
    session.send(pair_request(tampered))
    reply = await session.receive()
    assert reply["Header"]["StatusCode"] == "400 BadRequest"
    assert "signature" in reply["Body"]["Message"]


async def test_lp21_subject_is_the_servers_not_the_requests(
    pairing_server: PairingServer,
    anonymous_context: ssl.SSLContext,
    credentials: LeapCredentials,
) -> None:
    """LP21: a CSR's subject (control characters, the CA's own name, 200 OUs) is not copied: the server names it."""
    key = ec.generate_private_key(ec.SECP256R1())
    hostile = x509.Name(
        [
            x509.NameAttribute(
                NameOID.COMMON_NAME,
                credentials.ca_certificate.subject.rfc4514_string()[3:],
            ),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "evil\r\n\x1b[31m"),
            *(
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"unit {index}")
                for index in range(200)
            ),
        ]
    )
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(hostile)
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    pairing_server.open_pairing_window(5)
    session = await open_pairing(pairing_server, anonymous_context)
    await session.receive()
    session.send(pair_request(request))
    reply = await session.receive()
    certificate = x509.load_pem_x509_certificate(
        reply["Body"]["SigningResult"]["Certificate"].encode()
    )
    assert certificate.public_key() == key.public_key()
    assert certificate.subject.rfc4514_string() == (
        "CN=homeworks_qsx client paired from 127.0.0.1"
    )
    assert certificate.subject != credentials.ca_certificate.subject
    await session.close()


async def test_lp21_certificates_per_window_are_bounded(
    socket_enabled: None,
    credentials: LeapCredentials,
    anonymous_context: ssl.SSLContext,
) -> None:
    """LP21 (ours): one press of the button issues at most `MAX_CERTIFICATES_PER_WINDOW`; then the window closes.

    A client that pairs again and again within the window gets 403 once the bound is reached, until the button
    is pressed again.
    """
    assert MAX_CERTIFICATES_PER_WINDOW == 5
    server = PairingServer(credentials, "127.0.0.1", 0, max_certificates_per_window=3)
    await server.start()
    key = ec.generate_private_key(ec.SECP256R1())
    try:
        server.open_pairing_window(60)
        statuses = []
        for _ in range(5):
            session = await open_pairing(server, anonymous_context)
            await session.receive()
            session.send(pair_request(csr_pem(key)))
            statuses.append((await session.receive())["Header"]["StatusCode"])
            await session.close()
        assert statuses == ["200 OK"] * 3 + ["403 Forbidden"] * 2
        assert not server.pairing_window_open
        assert server.diagnostics()["paired"] == 3
        server.open_pairing_window(60)
        session = await open_pairing(server, anonymous_context)
        await session.receive()
        session.send(pair_request(csr_pem(key)))
        assert (await session.receive())["Header"]["StatusCode"] == "200 OK"
        await session.close()
    finally:
        await server.stop()


async def test_pairing_limits(
    socket_enabled: None,
    credentials: LeapCredentials,
    anonymous_context: ssl.SSLContext,
) -> None:
    """Pairing connections are limited; a long line is refused and closes the connection."""
    server = PairingServer(credentials, "127.0.0.1", 0, max_sessions=1)
    await server.start()
    try:
        first = await open_pairing(server, anonymous_context)
        await first.receive()
        second = await open_pairing(server, anonymous_context)
        assert await second.read_eof() == b""
        first.send_raw(b"y" * (70 * 1024) + b"\n")
        rest = await first.read_eof()
        assert (
            json.loads(rest.splitlines()[0])["Header"]["StatusCode"] == "400 BadRequest"
        )
        diagnostics = server.diagnostics()
        assert diagnostics["refused"] == 1
        assert "KEY" not in json.dumps(diagnostics)
    finally:
        await server.stop()


@pytest.fixture
def pairing_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test reach 127.0.0.5 as well as 127.0.0.1."""
    pytest_socket.socket_allow_hosts([PAIRING_HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


async def test_lp20_pylutron_caseta_async_pair(
    pairing_loopback: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """LP20: pylutron-caseta's `async_pair` (trust pointed at the emulator's CA) pairs; its certificate opens 8081."""
    monkeypatch.setattr(
        pairing, "LAP_CA_PEM", credentials.ca_cert_pem
    )  # the only patch: whom the library trusts
    leap = LeapServer(emulator, credentials, PAIRING_HOST)
    lap = PairingServer(credentials, PAIRING_HOST)
    await leap.start()
    await lap.start()
    try:
        ready = asyncio.Event()
        task = asyncio.create_task(pairing.async_pair(PAIRING_HOST, ready.set))
        await asyncio.wait_for(ready.wait(), WAIT)
        await asyncio.sleep(0.05)  # the client now waits for the button
        assert not task.done()
        lap.open_pairing_window(30)
        data = await asyncio.wait_for(task, WAIT * 2)
        assert data["version"] == 1.115
        assert data["ca"] == credentials.ca_cert_pem
        paths = {
            kind: tmp_path / f"lutron_caseta-{PAIRING_HOST}-{kind}.pem"
            for kind in ("key", "cert", "ca")
        }
        paths["key"].write_text(data["key"])
        paths["cert"].write_text(data["cert"])
        paths["ca"].write_text(data["ca"])
        bridge = Smartbridge.create_tls(
            PAIRING_HOST, str(paths["key"]), str(paths["cert"]), str(paths["ca"])
        )
        tasks: list[asyncio.Task[Any] | None] = []
        try:
            await asyncio.wait_for(bridge.connect(), WAIT)
            tasks = [bridge._monitor_task, bridge._ping_task]  # noqa: SLF001
            switches = bridge.get_devices_by_domain("switch")
            assert len(switches) == 5 * len(emulator.description.modules)
            [island] = [
                device for device in switches if device["name"] == "Kitchen_Island"
            ]
            await bridge.turn_on(island["device_id"])
            assert emulator.state(A1).zones[0].on
        finally:
            await bridge.close()  # type: ignore[no-untyped-call]
            if running := [task for task in tasks if task is not None]:
                await asyncio.wait(running, timeout=WAIT)
    finally:
        await lap.stop()
        await leap.stop()
