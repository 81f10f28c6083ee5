"""Credentials rejected on a reconnection: the client stops trying and says so; the backends pass it on."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.errors import AuthenticationError
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from custom_components.homeworks_qsx.qsx.lip.client import LipClient
from tests.qsx.serving import wait_for

from .conftest import FAST, PASSWORD, USER

CLIENT_LOGGER = "custom_components.homeworks_qsx.qsx.connection"  # the connection layer under LipClient
# Longer than any reconnection delay of the FAST timing (at most reconnect_max, 0.05 s) plus a loopback login.
QUIET = 0.08


async def _change_password_and_drop(server: LipServer, password: str) -> None:
    """Set a new password on the processor, which then drops its sessions (as a restart does)."""
    server._password = password
    await server.stop()
    await server.start()  # same ports


def _failed_logins(server: LipServer) -> int:
    return int(server.diagnostics()["failed_logins"])


async def test_password_changed_while_connected(
    server: LipServer, client: LipClient
) -> None:
    """Lost, then credentials rejected once; no more attempts until `connect()`, which works with the old login."""
    seen: list[str] = []
    client.subscribe_connection(lambda up: seen.append("up" if up else "lost"))
    client.subscribe_credentials_rejected(lambda: seen.append("rejected"))
    assert not client.credentials_rejected

    await _change_password_and_drop(server, "changed")
    await wait_for(lambda: "rejected" in seen)
    assert seen == ["lost", "rejected"]
    assert not client.connected
    assert client.credentials_rejected
    diagnostics = client.diagnostics()
    assert diagnostics["credentials_rejected"] is True
    assert "rejected the user name or password" in str(diagnostics["last_error"])
    assert client._supervisor is not None and client._supervisor.done()

    attempts = diagnostics["reconnect_attempts"]
    assert _failed_logins(server) == 1
    await asyncio.sleep(QUIET)
    assert _failed_logins(server) == 1
    assert client.diagnostics()["reconnect_attempts"] == attempts
    assert seen == ["lost", "rejected"]

    # The old password is back: a new connect() is allowed, and reconnecting works again afterwards.
    server._password = PASSWORD
    await client.connect()
    assert client.connected
    assert not client.credentials_rejected
    await server.stop()
    await server.start()
    await wait_for(lambda: seen == ["lost", "rejected", "up", "lost", "up"])


async def test_close_after_rejection(server: LipServer, client: LipClient) -> None:
    """`close()` after the attempts ended is quiet; the rejection stays visible in the diagnostics."""
    rejected: list[None] = []
    client.subscribe_credentials_rejected(lambda: rejected.append(None))
    await _change_password_and_drop(server, "changed")
    await wait_for(lambda: bool(rejected))
    await client.close()
    assert rejected == [None]
    assert client.diagnostics()["credentials_rejected"] is True


async def test_first_login_rejected_raises_and_does_not_call_back(
    server: LipServer, http_session: aiohttp.ClientSession
) -> None:
    """A first `connect()` with a rejected login raises; the listeners are for reconnections only."""
    client = LipClient(
        "127.0.0.1",
        server.port,
        USER,
        "wrong",
        session=http_session,
        http_port=server.http_port or 0,
        timings=FAST,
    )
    rejected: list[None] = []
    client.subscribe_credentials_rejected(lambda: rejected.append(None))
    with pytest.raises(AuthenticationError):
        await client.connect()
    assert client.credentials_rejected
    assert rejected == []
    await client.close()


async def test_unsubscribe_credentials_listener(
    server: LipServer, client: LipClient
) -> None:
    """Unsubscribing is idempotent and removes that one registration, even of an equal callable."""
    rejected: list[None] = []

    def listener() -> None:
        rejected.append(None)

    client.subscribe_credentials_rejected(listener)
    unsubscribe = client.subscribe_credentials_rejected(listener)
    unsubscribe()
    unsubscribe()
    await _change_password_and_drop(server, "changed")
    await wait_for(lambda: client.credentials_rejected)
    assert rejected == [None]


async def test_failing_listener_does_not_stop_reconnection(
    server: LipServer, client: LipClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A listener that raises is logged; the client still reconnects and tells the other listeners."""

    def broken(_up: bool) -> None:
        raise RuntimeError("listener bug")

    changes: list[bool] = []
    client.subscribe_connection(broken)
    client.subscribe_connection(changes.append)
    await server.stop()
    await server.start()
    await wait_for(lambda: changes == [False, True])
    assert "listener bug" in caplog.text


async def test_connection_changes_logged_at_debug_only(
    server: LipServer, client: LipClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The application logs the one INFO line per change; the client keeps its own lines at DEBUG."""
    changes: list[bool] = []
    client.subscribe_connection(changes.append)
    caplog.set_level(logging.DEBUG, logger=CLIENT_LOGGER)
    await server.stop()
    await server.start()
    await wait_for(lambda: changes == [False, True])
    records = [
        record
        for record in caplog.records
        if record.name == CLIENT_LOGGER
        and record.getMessage().startswith(("Connected to", "Connection to"))
    ]
    assert [record.getMessage().split()[0] for record in records] == [
        "Connection",
        "Connected",
    ]
    assert {record.levelno for record in records} == {logging.DEBUG}


async def test_lip_backend_reports_rejected_credentials(
    server: LipServer, http_session: aiohttp.ClientSession
) -> None:
    """The backend passes the client's signal on, after the connection loss; its unsubscribe is idempotent."""
    backend = LipBackend(
        "127.0.0.1",
        server.port,
        USER,
        PASSWORD,
        session=http_session,
        http_port=server.http_port or 0,
        timings=FAST,
    )
    seen: list[str] = []
    backend.subscribe_connection(lambda up: seen.append("up" if up else "lost"))
    backend.subscribe_credentials_rejected(lambda: seen.append("rejected"))
    unsubscribe = backend.subscribe_credentials_rejected(lambda: seen.append("removed"))
    unsubscribe()
    unsubscribe()
    await backend.async_start()
    await _change_password_and_drop(server, "changed")
    await wait_for(lambda: "rejected" in seen)
    assert seen == ["up", "lost", "rejected"]
    assert not backend.connected
    assert backend.diagnostics()["credentials_rejected"] is True
    await backend.async_stop()
    assert seen == ["up", "lost", "rejected"]


async def test_emulated_backend_never_rejects(emulator: Emulator) -> None:
    """The emulator has no login: its listeners are never called, through start and stop."""
    backend = EmulatedBackend(emulator)
    rejected: list[None] = []
    unsubscribe = backend.subscribe_credentials_rejected(lambda: rejected.append(None))
    await backend.async_start()
    await backend.async_stop()
    unsubscribe()
    assert rejected == []
