"""The LEAP backend as the integration sees it.

Capabilities, refusals that explain, the project-changed signal, modules gone while the link was down, and a
certificate refused on reconnection.
"""

from __future__ import annotations

from pathlib import Path
import ssl

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.const import Button, Fault
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.errors import (
    AuthenticationError,
    NotSupportedError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.leap.backend import LeapBackend
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from custom_components.homeworks_qsx.qsx.model import Capability

from .rig import (
    FAST,
    HOST,
    Proxy,
    house,
    processor,
    scripted,
    tolerate_failed_handshakes,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def test_capabilities_and_refusals() -> None:
    """LP17: what LEAP cannot tell is not offered, and every refusal says why."""
    async with processor() as served:
        backend = LeapBackend(
            HOST, served.certificates, port=served.server.port, timings=FAST
        )
        await backend.async_start()
        assert backend.capabilities == {
            Capability.ZONES,
            Capability.CCO,
            Capability.CCO_PULSE,
            Capability.LEVELS,
            Capability.KEYPAD,
            Capability.INDICATORS,
            Capability.OCCUPANCY,
            Capability.TIMECLOCK,
        }
        assert backend.unsupported_reason(Capability.ZONES) is None
        reason = backend.unsupported_reason(Capability.TEMPERATURE)
        assert reason is not None
        assert "temperature over LEAP" in reason
        assert not backend.supports_simulation
        serial = backend.description.modules[0].serial
        with pytest.raises(NotSupportedError, match="module buttons over LEAP"):
            await backend.async_press_button(serial, Button.ZONE_1)
        with pytest.raises(UnknownObjectError):
            await backend.async_press_button("FFFFFFFF", Button.ZONE_1)
        with pytest.raises(NotSupportedError, match="emulated system"):
            await backend.async_simulate(serial, Fault.POWER, False)
        diagnostics = backend.diagnostics()
        assert diagnostics["backend"] == "leap"
        assert "PRIVATE KEY" not in str(diagnostics)
        assert served.certificates.cert_pem not in str(diagnostics)
        await backend.async_pulse_cco(serial)
        assert backend.device_state(serial).cco_closed
        await wait_until(lambda: not backend.device_state(serial).cco_closed)
        await backend.async_stop()


async def test_other_backends_capabilities() -> None:
    """The emulator can do everything; LIP cannot tell temperature or relay counts."""
    emulated = EmulatedBackend(Emulator(house()))
    assert emulated.capabilities == frozenset(Capability)
    assert emulated.unsupported_reason(Capability.SIMULATION) is None
    async with aiohttp.ClientSession() as session:
        lip = LipBackend(HOST, 23, "user", "secret", session=session)
        assert Capability.RELAY_COUNTS not in lip.capabilities
        assert lip.unsupported_reason(Capability.CCI) is None
        assert "temperature" in str(lip.unsupported_reason(Capability.TEMPERATURE))
        assert "emulated" in str(lip.unsupported_reason(Capability.SIMULATION))


async def test_project_changed_and_modules_removed() -> None:
    """LP10: a reconnection to a changed project signals it; a module gone is published as removed."""
    async with processor() as served:
        backend = LeapBackend(
            HOST, served.certificates, port=served.server.port, timings=FAST
        )
        await backend.async_start()
        signals: list[bool] = []
        backend.subscribe_project_changed(lambda: signals.append(True))
        events: list[Event] = []
        backend.subscribe(events.append)
        gone = backend.description.modules[2]
        await served.server.stop()
        emulator = Emulator(house(2, database_date="05/05/2026,00:00:00"))
        served.server = LeapServer(
            emulator, served.credentials, HOST, served.server.port
        )
        await served.server.start()
        await wait_until(lambda: signals == [True] and backend.connected)
        assert Event(EventKind.DEVICE_REMOVED, gone.serial, value=gone) in events
        with pytest.raises(UnknownObjectError):
            backend.device_state(gone.serial)
        await backend.async_stop()
        emulator.close()


async def test_sessions_closed_silently_mean_a_refused_certificate(
    tmp_path: Path,
) -> None:
    """A processor that closes every new session before answering refuses the certificate: reauthentication."""
    async with processor() as served:
        proxy = Proxy(served.server.port)
        await proxy.start()
        backend = LeapBackend(HOST, served.certificates, port=proxy.port, timings=FAST)
        await backend.async_start()
        rejected: list[bool] = []
        backend.subscribe_credentials_rejected(lambda: rejected.append(True))
        tolerate_failed_handshakes()
        other = LeapCredentials.generate()

        def never(request: dict[str, object], send: object) -> None:
            raise AssertionError("a refused session sends nothing")

        # The processor now trusts another CA only: it refuses our certificate after the handshake.
        (tmp_path / "key.pem").write_text(served.credentials.server_key_pem)
        (tmp_path / "cert.pem").write_text(served.credentials.server_cert_pem)
        refusing = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        refusing.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
        refusing.verify_mode = ssl.CERT_REQUIRED
        refusing.load_verify_locations(cadata=other.ca_cert_pem)
        async with scripted(other, never, refusing) as port:
            proxy.target_port = port
            await proxy.drop()
            await wait_until(lambda: rejected == [True])
            assert not backend.connected
            assert backend.client.credentials_rejected
            with pytest.raises(AuthenticationError, match="pair again"):
                await backend.async_start()
        await backend.async_stop()
        await proxy.stop()
