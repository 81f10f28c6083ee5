"""The LEAP client against the emulator's LEAP server on loopback.

Start-up, pipelining, paging, pushes, refusals, availability (reconnection, ping time-out, refused certificates)
and a changed project; a scripted server for the answers the emulator never gives.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
import ssl
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.const import Fault, LinkType, ProcessorModel
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import (
    IdKind,
    Profile,
    leap_id,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.errors import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    NotSupportedError,
    ObjectNotFoundError,
    QsxError,
    RequestNotSupportedError,
    RequestRefusedError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.leap import (
    client as client_module,
    link as link_module,
)
from custom_components.homeworks_qsx.qsx.leap.client import (
    SILENT_CLOSE_LIMIT,
    LeapCertificates,
    LeapClient,
)
from custom_components.homeworks_qsx.qsx.leap.link import MAX_REQUESTS_IN_FLIGHT
from custom_components.homeworks_qsx.qsx.leap.protocol import CommuniqueType
from custom_components.homeworks_qsx.qsx.model import ControlType

from .rig import (
    FAST,
    HOST,
    Proxy,
    certificates,
    house,
    processor,
    reply,
    scripted,
    tolerate_failed_handshakes,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def test_start_up_full_profile() -> None:
    """LP11, LP16: the processor is the hub; modules listing their zones become modules with zones and CCO."""
    async with processor() as served:
        client = served.client()
        await client.connect()
        description = client.description
        truth = served.emulator.description
        assert description.processor.serial == "0A0B0C0D"
        assert description.processor.model is ProcessorModel.HQP7_2
        assert description.processor.firmware == "22.02.17f000"
        assert description.processor.mac == "02:00:0a:0b:0c:0d"
        assert [(link.number, link.link_type) for link in description.links] == [
            (1, LinkType.QS),
            (2, LinkType.CLEAR_CONNECT_A),
        ]
        assert description.name == "Test house"
        assert description.database_date == "01/01/2026,00:00:00"
        assert description.devices == description.modules
        assert [
            (m.serial, m.name, m.area, [z.name for z in m.zones], m.cco.name)
            for m in description.modules
        ] == [
            (m.serial, m.name, m.area, [z.name for z in m.zones], m.cco.name)
            for m in truth.modules
        ]
        diagnostics = client.diagnostics()
        assert diagnostics["connected"]
        assert diagnostics["modules"] == 3
        assert "PRIVATE KEY" not in str(diagnostics)
        # Pipelined start-up: 9 first requests (with the optional area, timeclock and timeclock event reads and
        # subscriptions), one per area (root, Kitchen, Module 1.3), two per link (it, its nodes).
        assert diagnostics["requests"] == 9 + 3 + 2 * 2
        await client.close()
        assert not client.connected


async def test_start_up_anonymous_profile() -> None:
    """LP16: anonymous modules' switched and CCO zones are grouped by area, one group per area, named after it."""
    async with processor(Profile.ANONYMOUS) as served:
        client = served.client()
        await client.connect()
        description = client.description
        assert description.modules == ()
        groups = {group.name: group for group in description.devices}
        assert sorted(groups) == ["Kitchen", "Module 1.3"]
        kitchen = groups["Kitchen"]
        assert kitchen.serial.startswith("0A0B0C0D-area-")
        assert [output.name for output in kitchen.outputs] == [
            "Island",
            "Pantry",
            "Hood",
            "Counter",
            "CCO",
            "Zone 1",
            "Zone 2",
            "Zone 3",
            "Zone 4",
            "Gate",
        ]
        assert [
            output.control_type is ControlType.CCO for output in kitchen.outputs
        ] == [False] * 4 + [True] + [False] * 4 + [True]
        assert description.device(kitchen.serial) is kitchen
        with pytest.raises(UnknownObjectError, match="No device has serial nothing"):
            description.device("nothing")
        events: list[Event] = []
        client.events.subscribe(events.append)
        await client.set_zone(kitchen.serial, 2, True)
        await client.set_zone(kitchen.serial, 5, True)  # the first module's CCO
        first = served.emulator.description.modules[0].serial
        assert served.emulator.state(first).zones[1].on
        assert served.emulator.state(first).cco_closed
        assert client.state(kitchen.serial).zones[4].on
        assert events == [
            Event(EventKind.ZONE, kitchen.serial, 2, True),
            Event(EventKind.ZONE, kitchen.serial, 5, True),
        ]
        with pytest.raises(UnknownObjectError):
            client.zone_id(kitchen.serial, None)  # a group has no CCO of its own
        await client.close()


async def test_start_up_addressed_profile_lp48_lp51() -> None:
    """LP16, LP48, LP51: modules listed `Unknown` with serial and model, their zones only in their link nodes.

    They become the modules the emulator describes (serial, model, zones and CCO), read for their availability
    (LP49); none is left unplaced.
    """
    async with processor(Profile.ADDRESSED) as served:
        client = served.client()
        await client.connect()
        description = client.description
        truth = served.emulator.description
        assert [
            (m.serial, m.model, m.area, [z.name for z in m.zones], m.cco.name)
            for m in description.modules
        ] == [
            (m.serial, m.model, m.area, [z.name for z in m.zones], m.cco.name)
            for m in truth.modules
        ]
        diagnostics = client.diagnostics()
        assert sorted(diagnostics["availability"].values()) == ["Available"] * 3
        assert not [key for key in diagnostics["unplaced"] if key.startswith("/zone/")]
        await client.set_zone(truth.modules[1].serial, 3, True)
        assert served.emulator.state(truth.modules[1].serial).zones[2].on
        await client.close()


async def test_lp49_lp51_anonymous_modules_are_said_and_keyed_by_the_prefix() -> None:
    """LP49, LP51, LP54: anonymous modules are read for their availability and stay in their areas' groups.

    The groups are keyed by the prefix given; the diagnostics say why, for each module and each of its zones.
    """
    async with processor(Profile.ANONYMOUS) as served:
        first = served.emulator.description.modules[0]
        served.emulator.simulate(first.serial, Fault.POWER, False)
        client = LeapClient(
            HOST,
            served.certificates,
            port=served.server.port,
            timings=FAST,
            key_prefix="entry",
        )
        await client.connect()
        description = client.description
        assert {group.serial for group in description.devices} == {
            f"entry-area-{group.integration_id}" for group in description.devices
        }
        diagnostics = client.diagnostics()
        modules = [
            f"/device/{leap_id(module.integration_id, IdKind.DEVICE)}"
            for module in served.emulator.description.modules
        ]
        assert diagnostics["availability"] == {
            modules[0]: "Unavailable",
            modules[1]: "Available",
            modules[2]: "Available",
        }
        unplaced = diagnostics["unplaced"]
        for module in modules:
            assert "nor its link node (LP47)" in unplaced[module]
        zones = [key for key in unplaced if key.startswith("/zone/")]
        assert len(zones) == sum(len(group.outputs) for group in description.devices)
        assert diagnostics["processors"] == [
            {
                "serial": "0A0B0C0D",
                "model": "HQP7-2",
                "leap_id": description.processor.integration_id,
                "connected": True,
                "links": [1, 2],
                "devices": len(description.devices),
            }
        ]
        await client.close()


async def test_requests_are_pipelined() -> None:
    """LP5: many requests in flight on one connection, each reply matched to its request by tag."""
    async with processor(reply_delay=0.2) as served:
        client = served.client()
        await client.connect()
        serials = [m.serial for m in client.description.modules]
        commands = [
            asyncio.create_task(client.set_zone(serial, zone, True))
            for serial in serials
            for zone in range(1, 5)
        ]
        await wait_until(lambda: client.diagnostics()["requests_in_flight"] >= 12)
        assert not any(task.done() for task in commands)
        await asyncio.gather(*commands)
        assert all(zone.on for serial in serials for zone in client.state(serial).zones)
        await client.close()


async def test_lists_are_paged() -> None:
    """LP8: every page is read and the lists joined, at start-up and on demand."""
    async with processor(page_size=2) as served:
        client = served.client()
        await client.connect()
        assert client.diagnostics()["pages"] >= 5
        assert len(client.description.modules) == 3
        devices = await client.read("/device?where=IsThisDevice:false")
        assert len(devices) == 3
        kitchen = next(
            area for area in await client.read("/area") if area["Name"] == "Kitchen"
        )
        zones = await client.read(f"{kitchen['href']}/associatedzone")
        assert len(zones) == 10
        assert await client.read("/device") == []  # LP12: 204 without a body
        await client.close()


async def test_pushes_are_routed_by_subscription() -> None:
    """LP18: changes from elsewhere (the emulator, another client) reach the model in order, published."""
    async with processor() as served:
        client = served.client()
        other = served.client()
        await client.connect()
        await other.connect()
        events: list[Event] = []
        client.events.subscribe(events.append)
        first, second = (m.serial for m in client.description.modules[:2])
        served.emulator.set_zone(first, 1, True)
        served.emulator.set_cco(first, True)
        await other.set_zone(second, 4, True)
        await client.ping()
        assert events == [
            Event(EventKind.ZONE, first, 1, True),
            Event(EventKind.CCO, first, None, True),
            Event(EventKind.ZONE, second, 4, True),
        ]
        assert client.diagnostics()["pushes"] >= 2
        await other.close()
        await client.close()


async def test_refusals_are_typed_errors() -> None:
    """LP7: 404 and 405 become their own errors, both of the library's families; others keep their status."""
    async with processor() as served:
        client = served.client()
        await client.connect()
        refused = client.diagnostics()["refusals"]
        with pytest.raises(ObjectNotFoundError) as not_found:
            await client.read("/nothing/here")
        assert isinstance(not_found.value, UnknownObjectError)
        assert not_found.value.status == 404
        assert "This resource does not exist" in str(not_found.value)
        with pytest.raises(RequestNotSupportedError) as not_allowed:
            await client.read("/zone")
        assert isinstance(not_allowed.value, NotSupportedError)
        assert not_allowed.value.status == 405
        assert client.diagnostics()["refusals"] == refused + 2
        assert client.connected  # a refusal does not end the session
        await client.close()


async def test_ignored_command() -> None:
    """LP19: a module that ignores a command leaves the level unchanged; the reply shows it: `CommandIgnoredError`."""
    async with processor() as served:
        client = served.client()
        await client.connect()
        serial = client.description.modules[2].serial
        served.emulator.set_power(serial, False)
        with pytest.raises(CommandIgnoredError, match="without saying why"):
            await client.set_zone(serial, 1, True)
        assert not client.state(serial).zones[0].on
        await client.close()


async def test_reconnects_after_the_server_restarts() -> None:
    """Lost, then back with every state read again (and the changes made meanwhile published)."""
    async with processor() as served:
        client = served.client()
        await client.connect()
        changes: list[bool] = []
        client.subscribe_connection(changes.append)
        events: list[Event] = []
        client.events.subscribe(events.append)
        serial = client.description.modules[0].serial
        await served.server.stop()
        await wait_until(lambda: changes == [False])
        with pytest.raises(ConnectionFailedError):
            await client.set_zone(serial, 1, True)
        served.emulator.set_zone(serial, 3, True)
        await served.restart()
        await wait_until(lambda: changes == [False, True])
        assert client.state(serial).zones[2].on
        assert events == [Event(EventKind.ZONE, serial, 3, True)]
        assert client.diagnostics()["connects"] == 2
        await client.set_zone(serial, 1, True)
        await client.close()


async def test_ping_unanswered_makes_the_link_unavailable() -> None:
    """LP3: a ping unanswered within its window ends the session; the link comes back once it answers again."""
    async with processor() as served:
        proxy = Proxy(served.server.port)
        await proxy.start()
        client = served.client(proxy.port, keepalive_interval=0.05, keepalive_misses=1)
        await client.connect()
        changes: list[bool] = []
        client.subscribe_connection(changes.append)
        await wait_until(lambda: client.diagnostics()["leap_version"] == 1.115)
        # A loaded machine may miss a 50 ms ping before the freeze too: look only at what follows it.
        before = len(changes)
        proxy.frozen = True
        await wait_until(lambda: False in changes[before:])
        lost = before + changes[before:].index(False)
        proxy.frozen = False
        await wait_until(lambda: True in changes[lost:])
        await client.close()
        await proxy.stop()


async def test_certificate_of_another_processor(tmp_path: Path) -> None:
    """LP1: a processor whose CA is not ours, or that refuses our certificate, is `AuthenticationError`."""
    async with processor() as served:
        tolerate_failed_handshakes()
        stranger = certificates(LeapCredentials.generate())
        client = LeapClient(HOST, stranger, port=served.server.port, timings=FAST)
        with pytest.raises(AuthenticationError):
            await client.connect()
        assert client.credentials_rejected
    # A server we trust that does not trust our certificate (TLS 1.3: refused after the handshake, on the first
    # read).
    ours, other = LeapCredentials.generate(), LeapCredentials.generate()
    (tmp_path / "key.pem").write_text(ours.server_key_pem)
    (tmp_path / "cert.pem").write_text(ours.server_cert_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=other.ca_cert_pem)
    script = _system_script(_processor_device())
    async with scripted(ours, script, context) as port:
        client = LeapClient(HOST, certificates(ours), port=port, timings=FAST)
        with pytest.raises(AuthenticationError, match="pair again"):
            await client.connect()


async def test_certificate_refused_on_reconnection() -> None:
    """A reconnection refused for the certificate stops the attempts and tells the listeners (reauthentication)."""
    async with processor() as served:
        client = served.client()
        await client.connect()
        rejected: list[bool] = []
        client.subscribe_credentials_rejected(lambda: rejected.append(True))
        await served.restart(credentials=LeapCredentials.generate())
        await wait_until(lambda: rejected == [True])
        assert not client.connected
        assert client.credentials_rejected
        attempts = client.diagnostics()["reconnect_attempts"]
        await asyncio.sleep(0.1)
        assert client.diagnostics()["reconnect_attempts"] == attempts
        await client.close()


async def test_hung_processor_is_retried_never_refused() -> None:
    """Retry rule: a processor that answers nothing for a while (hung, busy) is retried, never refused.

    It goes on completing TLS handshakes, then answers nothing: a connection failure (a time-out), retried with the
    back-off for as long as it lasts. The hang lasts over six time-outs of the test's timings (a 12 s hang against
    the default 5 s request time-out and 30 s ping, scaled down); then the processor answers again and the client is back.
    """
    credentials = LeapCredentials.generate()
    hung = False

    def hang(request: dict[str, Any], send: Any) -> bool:
        return hung

    async with scripted(
        credentials, _system_script(_processor_device(), extra=hang)
    ) as port:
        client = LeapClient(
            HOST,
            certificates(credentials),
            port=port,
            timings=replace(
                FAST, command_timeout=0.2, connect_timeout=0.5, keepalive_interval=0.1
            ),
        )
        await client.connect()
        changes: list[bool] = []
        client.subscribe_connection(changes.append)
        rejected: list[bool] = []
        client.subscribe_credentials_rejected(lambda: rejected.append(True))
        hung = True
        await wait_until(
            lambda: client.diagnostics()["reconnect_attempts"] > SILENT_CLOSE_LIMIT + 1
        )
        assert changes == [False]
        assert "did not" in str(client.diagnostics()["last_error"])
        hung = False
        await wait_until(lambda: changes == [False, True])
        assert rejected == []
        assert not client.credentials_rejected
        await client.close()


async def test_session_limit_close_is_retried() -> None:
    """Retry rule, LP4: sessions closed at once by a full processor are retried until one ends, never refused.

    The closes come right after the handshake, as a refusal's would, but they do not go on across the back-off.
    """
    async with processor(max_sessions=1) as served:
        holder = served.client()
        await holder.connect()
        client = served.client(reconnect_min=0.01, reconnect_max=5.0)
        connecting = asyncio.create_task(client.connect())
        await wait_until(
            lambda: served.server.diagnostics()["refused"] > SILENT_CLOSE_LIMIT
        )
        assert not connecting.done()
        await holder.close()
        await connecting
        assert client.connected
        assert not client.credentials_rejected
        await client.close()


async def test_certificate_refused_by_closing_after_the_handshake() -> None:
    """Retry rule: sessions closed right after the handshake on every attempt across the back-off are a refusal.

    The emulator refuses a certificate of another CA so, sending no alert.
    """
    async with processor() as served:
        stranger = LeapCredentials.generate()
        key, cert = stranger.issue_client()
        client = LeapClient(
            HOST,
            LeapCertificates(key, cert, served.credentials.ca_cert_pem),
            port=served.server.port,
            timings=replace(FAST, reconnect_min=0.01, reconnect_max=0.2),
        )
        with pytest.raises(AuthenticationError, match="in a row right after the TLS"):
            await client.connect()
        assert client.credentials_rejected
        assert served.server.diagnostics()["failed_handshakes"] >= SILENT_CLOSE_LIMIT


async def test_project_changed_on_reconnection() -> None:
    """LP10: another `ProjectModifiedTimestamp` after a reconnection is reported; new modules are published."""
    async with processor() as served:
        client = served.client()
        await client.connect()
        changed: list[tuple[str, str]] = []
        client.subscribe_project_changed(lambda old, new: changed.append((old, new)))
        events: list[Event] = []
        client.events.subscribe(events.append)
        await served.server.stop()
        emulator = Emulator(house(4, database_date="02/03/2026,04:05:06"))
        served.server = LeapServer(
            emulator, served.credentials, HOST, served.server.port
        )
        await served.server.start()
        await wait_until(lambda: bool(changed))
        assert changed == [("01/01/2026,00:00:00", "02/03/2026,04:05:06")]
        added = emulator.description.modules[3]
        assert [e for e in events if e.kind is EventKind.DEVICE_ADDED] == [
            Event(
                EventKind.DEVICE_ADDED,
                added.serial,
                value=client.description.device(added.serial),
            )
        ]
        await wait_until(lambda: client.connected)
        await client.close()
        emulator.close()


async def test_life_cycle_errors() -> None:
    """Commands need a connection; connecting twice is refused; an unusable certificate is named; closing twice is fine."""
    async with processor() as served:
        client = served.client()
        with pytest.raises(UnknownObjectError):
            _ = client.description
        with pytest.raises(UnknownObjectError):
            client.state("0A0B0C0D")
        await client.connect()
        with pytest.raises(QsxError, match="Already connected"):
            await client.connect()
        serial = client.description.modules[0].serial
        await client.pulse_cco(serial, 10.0)  # opened later: closing cancels it
        await client.close()
        await client.close()
        with pytest.raises(ConnectionFailedError):
            await client.ping()
        broken = LeapClient(
            HOST,
            LeapCertificates("not a key", "not a certificate", "not a CA"),
            port=served.server.port,
        )
        with pytest.raises(AuthenticationError, match="not usable"):
            await broken.connect()
        with pytest.raises(ConnectionFailedError):
            await LeapClient(HOST, served.certificates, port=1, timings=FAST).connect()


def _processor_device(**overrides: Any) -> dict[str, Any]:
    return {
        "href": "/device/9",
        "SerialNumber": 1234,
        "ModelNumber": "HQP7-2",
        "DeviceType": "HWQSProcessor",
        "OwnedLinks": [{"href": "/link/3", "LinkType": "QS"}],
    } | overrides


def _system_script(processor_device: dict[str, Any], *, extra: Any = None) -> Any:
    """Answer the start-up reads of a one-area system with one switched zone; `extra(request, send)` first."""

    def script(request: dict[str, Any], send: Any) -> None:
        if extra is not None and extra(request, send):
            return
        url = request["Header"]["Url"]
        answers: dict[str, tuple[str | None, Any]] = {
            "/project": ("OneProjectDefinition", {"Name": "Scripted"}),
            "/device?where=IsThisDevice:true": (
                "MultipleDeviceDefinition",
                [processor_device],
            ),
            "/device?where=IsThisDevice:false": ("MultipleDeviceDefinition", []),
            "/area": ("MultipleAreaDefinition", [{"href": "/area/2", "Name": "Hall"}]),
            "/area/2/associatedzone": (
                "MultipleZoneDefinition",
                [{"href": "/zone/5", "Name": "Lamp", "ControlType": "Switched"}],
            ),
            "/zone/status": (
                "MultipleZoneStatus",
                [{"href": "/zone/5/status", "Level": 0}],
            ),
            "/server/1/status/ping": ("OnePingResponse", {"LEAPVersion": 1.115}),
        }
        if url == "/link/3":
            send(
                {
                    "CommuniqueType": "ExceptionResponse",
                    "Header": {
                        "StatusCode": "500 InternalServerError",
                        "ClientTag": request["Header"]["ClientTag"],
                    },
                    "Body": {"Message": "no"},
                }
            )
            return
        if url not in answers:  # LP58: a real QSX refuses what it lacks
            send(
                {
                    "CommuniqueType": "ExceptionResponse",
                    "Header": {
                        "StatusCode": "404 NotFound",
                        "Url": url,
                        "ClientTag": request["Header"]["ClientTag"],
                        "MessageBodyType": "ExceptionDetail",
                    },
                    "Body": {"Message": f"This resource does not exist : {url}"},
                }
            )
            return
        body_type, content = answers[url]
        send(reply(request, body_type, content))

    return script


async def test_scripted_processor_answers() -> None:
    """Answers the emulator never gives: untagged and unknown lines ignored, links refused, an unknown model."""
    credentials = LeapCredentials.generate()

    def extra(request: dict[str, Any], send: Any) -> bool:
        if request["Header"]["Url"] == "/project":
            send(b"not json\r\n")
            send({"CommuniqueType": "ReadResponse", "Header": {"ClientTag": "nobody"}})
        return False

    script = _system_script(_processor_device(ModelNumber="HQP9-9"), extra=extra)
    async with scripted(credentials, script) as port:
        client = LeapClient(HOST, certificates(credentials), port=port, timings=FAST)
        await client.connect()
        description = client.description
        assert description.processor.serial == "000004D2"
        assert description.processor.model is ProcessorModel.HQP7_1
        assert [link.number for link in description.links] == [1]
        assert [g.name for g in description.devices] == ["Hall"]
        assert client.diagnostics()["ignored_messages"] == 2
        await client.close()


@pytest.mark.parametrize(
    ("device", "error"),
    [
        (_processor_device(SerialNumber=None), "SerialNumber"),
        (None, "no processor listed"),
    ],
)
async def test_scripted_processor_without_identity(
    device: dict[str, Any] | None, error: str
) -> None:
    """Without the processor's serial there is nothing to key the system on: the start-up fails, named."""
    credentials = LeapCredentials.generate()

    def extra(request: dict[str, Any], send: Any) -> bool:
        if (
            device is None
            and request["Header"]["Url"] == "/device?where=IsThisDevice:true"
        ):
            send(reply(request, None, None))
            return True
        return False

    script = _system_script(device or _processor_device(), extra=extra)
    async with scripted(credentials, script) as port:
        client = LeapClient(HOST, certificates(credentials), port=port, timings=FAST)
        with pytest.raises(RequestRefusedError, match=error):
            await client.connect()


async def test_scripted_processor_that_never_stops_paging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LP8: a list that never ends is refused after `MAX_PAGES` pages."""
    monkeypatch.setattr(link_module, "MAX_PAGES", 5)
    credentials = LeapCredentials.generate()

    def extra(request: dict[str, Any], send: Any) -> bool:
        if request["Header"]["Url"] == "/area":
            send(reply(request, "MultipleAreaDefinition", [], Paging={"Offset": 1}))
            return True
        return False

    async with scripted(
        credentials, _system_script(_processor_device(), extra=extra)
    ) as port:
        client = LeapClient(HOST, certificates(credentials), port=port, timings=FAST)
        with pytest.raises(RequestRefusedError, match="pages"):
            await client.connect()


async def test_scripted_processor_silent_or_rude() -> None:
    """A processor that does not answer in time, or sends an over-long line, ends the session with the cause."""
    credentials = LeapCredentials.generate()

    def silent(request: dict[str, Any], send: Any) -> bool:
        return bool(request["Header"]["Url"] == "/project")

    async with scripted(
        credentials, _system_script(_processor_device(), extra=silent)
    ) as port:
        client = LeapClient(
            HOST,
            certificates(credentials),
            port=port,
            timings=replace(FAST, command_timeout=0.1),
        )
        with pytest.raises(CommandTimeoutError):
            await client.connect()
        client = LeapClient(
            HOST,
            certificates(credentials),
            port=port,
            timings=replace(FAST, connect_timeout=0.1),
        )
        with pytest.raises(CommandTimeoutError, match="in time"):
            await client.connect()

    def rude(request: dict[str, Any], send: Any) -> bool:
        if request["Header"]["Url"] == "/project":
            send(b"x" * (300 * 1024) + b"\r\n")
            return True
        return False

    async with scripted(
        credentials, _system_script(_processor_device(), extra=rude)
    ) as port:
        client = LeapClient(HOST, certificates(credentials), port=port, timings=FAST)
        with pytest.raises(ConnectionFailedError):
            await client.connect()
        assert client.diagnostics()["last_error"] is not None


async def test_requests_on_a_lost_link(caplog: pytest.LogCaptureFixture) -> None:
    """A request on a link already lost fails at once; a pulse whose end comes after the loss says so."""
    async with processor() as served:
        client = served.client(reconnect_min=5.0, reconnect_max=5.0)
        await client.connect()
        serial = client.description.modules[0].serial
        link = client._link
        assert link is not None
        await client.pulse_cco(serial, 0.05)
        await served.server.stop()
        await wait_until(lambda: not client.connected)
        reply = client._send(link, CommuniqueType.READ_REQUEST, "/project")
        with pytest.raises(ConnectionFailedError, match="lost during /project"):
            await client._result(link, reply)
        await wait_until(lambda: "could not end" in caplog.text)
        await client.close()


def _status_push(
    tag: str | None, statuses: list[dict[str, Any]], *, one: bool = False
) -> dict[str, Any]:
    """Return a `ReadResponse` push of zone statuses: `OneZoneStatus` on the zone's URL, or `MultipleZoneStatus`."""
    header: dict[str, Any] = {"StatusCode": "200 OK"}
    if tag is not None:
        header["ClientTag"] = tag
    if one:
        [status] = statuses
        header |= {"Url": status["href"], "MessageBodyType": "OneZoneStatus"}
        body: dict[str, Any] = {"ZoneStatus": status}
    else:
        header |= {"Url": "/zone/status", "MessageBodyType": "MultipleZoneStatus"}
        body = {"ZoneStatuses": statuses}
    return {"CommuniqueType": "ReadResponse", "Header": header, "Body": body}


async def test_lp57_every_push_form_and_provisional_replies() -> None:
    """LP57: zone changes in every form are routed by the zone their body names.

    Tagged or not, One or Multiple, object or collection URL, Read or SubscribeResponse. A delta changes only what
    it carries; `1xx` replies are passed over for the final one; what cannot be routed is dropped.
    """
    credentials = LeapCredentials.generate()
    tags: dict[str, str] = {}
    pushes: list[list[dict[str, Any]]] = [
        # Caséta (LP55 b): untagged OneZoneStatus on the zone's own URL.
        [_status_push(None, [{"href": "/zone/5/status", "Level": 100}], one=True)],
        # A delta without a level: nothing changes.
        [_status_push(None, [{"href": "/zone/5/status", "StatusAccuracy": "Good"}])],
        # A tag nobody sent (a command's reply long gone), a Multiple body: routed by the body.
        [_status_push("gone", [{"Zone": {"href": "/zone/5"}, "SwitchedLevel": "Off"}])],
        # The subscription's tag with a OneZoneStatus, as a SubscribeResponse.
        [
            _status_push(
                "subscription", [{"href": "/zone/5/status", "Level": 100}], one=True
            )
            | {"CommuniqueType": "SubscribeResponse"}
        ],
        # Frames that name no zone: an area's status untagged (routed: an area delta without occupancy changes
        # nothing), an untagged 204, an unknown tag with no body.
        [
            {
                "CommuniqueType": "ReadResponse",
                "Header": {"StatusCode": "200 OK", "MessageBodyType": "OneAreaStatus"},
                "Body": {"AreaStatus": {"href": "/area/5/status", "Level": 0}},
            },
            {
                "CommuniqueType": "SubscribeResponse",
                "Header": {"StatusCode": "204 NoContent"},
            },
            {"CommuniqueType": "ReadResponse", "Header": {"ClientTag": "gone"}},
        ],
    ]

    def extra(request: dict[str, Any], send: Any) -> bool:
        header = request["Header"]
        # LP55 a: `102 Processing` before the final reply, on the request's tag.
        send(
            {
                "CommuniqueType": request["CommuniqueType"].replace(
                    "Request", "Response"
                ),
                "Header": {
                    "StatusCode": "102 Processing",
                    "ClientTag": header["ClientTag"],
                },
            }
        )
        if header["Url"] == "/zone/status":
            tags["subscription"] = header["ClientTag"]
        if header["Url"] == "/server/1/status/ping" and pushes:
            for push in pushes.pop(0):
                tag = push["Header"].get("ClientTag")
                if tag in tags:
                    push["Header"]["ClientTag"] = tags[tag]
                send(push)
        return False

    untagged_204 = {
        "CommuniqueType": "SubscribeResponse",
        "Header": {"StatusCode": "204 NoContent"},
    }
    script = _system_script(_processor_device(), extra=extra)
    async with scripted(credentials, script, greeting=untagged_204) as port:
        client = LeapClient(HOST, certificates(credentials), port=port, timings=FAST)
        await client.connect()
        [group] = client.description.devices
        seen: list[bool] = []
        for _ in range(5):
            await client.ping()
            seen.append(client.state(group.serial).zones[0].on)
        assert seen == [True, True, False, True, True]
        diagnostics = client.diagnostics()
        assert diagnostics["pushes"] >= 4
        assert diagnostics["provisional_replies"] == diagnostics["requests"]
        # The greeting and the two frames of the last push that carry no status.
        assert diagnostics["ignored_messages"] == 3
        await client.close()


async def test_statuses_of_unknown_zones_are_counted_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Statuses of zones the system does not hold are counted in the diagnostics, and nothing is kept for them.

    While the system is read, at most `MAX_PENDING_LEVELS` levels are kept; after, only the system's zones'.
    """
    monkeypatch.setattr(client_module, "MAX_PENDING_LEVELS", 10)
    credentials = LeapCredentials.generate()
    unknown = [{"href": f"/zone/{1000 + n}/status", "Level": 100} for n in range(1000)]

    def extra(request: dict[str, Any], send: Any) -> bool:
        url = request["Header"]["Url"]
        if (
            url == "/zone/status"
        ):  # the subscription's first answer names 1,000 zones more than the system has
            statuses = [{"href": "/zone/5/status", "Level": 100}, *unknown]
            send(reply(request, "MultipleZoneStatus", statuses))
            # So do untagged LED, area and timeclock statuses while the system is read: 12 of each kind.
            for number in range(12):
                for body_type, key, status in (
                    (
                        "OneLEDStatus",
                        "LEDStatus",
                        {"href": f"/led/{number}/status", "State": "On"},
                    ),
                    (
                        "OneAreaStatus",
                        "AreaStatus",
                        {
                            "href": f"/area/{number}/status",
                            "OccupancyStatus": "Occupied",
                        },
                    ),
                    (
                        "OneTimeclockStatus",
                        "TimeclockStatus",
                        {
                            "href": f"/timeclock/{number}/status",
                            "EnabledState": "Enabled",
                        },
                    ),
                ):
                    send(
                        {
                            "CommuniqueType": "ReadResponse",
                            "Header": {
                                "StatusCode": "200 OK",
                                "MessageBodyType": body_type,
                            },
                            "Body": {key: status},
                        }
                    )
            return True
        if url == "/server/1/status/ping":
            send(_status_push(None, unknown))
            send(_status_push(request["Header"]["ClientTag"] + "-other", unknown))
        return False

    script = _system_script(_processor_device(), extra=extra)
    async with scripted(credentials, script) as port:
        client = LeapClient(HOST, certificates(credentials), port=port, timings=FAST)
        await client.connect()
        [group] = client.description.devices
        assert client.state(group.serial).zones[0].on
        await client.ping()
        diagnostics = client.diagnostics()
        assert diagnostics["zone_levels"] == 1
        # 1,000 zones at once with 990 too many, 1,000 in each push; 2 of each other kind too many, then 10 of
        # each kept that the system does not hold.
        assert diagnostics["unknown_statuses"] == 990 + 2000 + 3 * 2 + 3 * 10
        await client.close()


async def test_refused_zone_subscription_fails_the_start_up() -> None:
    """LP18: the zone statuses are the one subscription the model needs; its refusal fails the start-up, named."""
    credentials = LeapCredentials.generate()

    def extra(request: dict[str, Any], send: Any) -> bool:
        if request["Header"]["Url"] != "/zone/status":
            return False
        send(
            {
                "CommuniqueType": "ExceptionResponse",
                "Header": {
                    "StatusCode": "405 MethodNotAllowed",
                    "ClientTag": request["Header"]["ClientTag"],
                },
                "Body": {"Message": "This request is not supported"},
            }
        )
        return True

    async with scripted(
        credentials, _system_script(_processor_device(), extra=extra)
    ) as port:
        client = LeapClient(HOST, certificates(credentials), port=port, timings=FAST)
        with pytest.raises(RequestNotSupportedError, match="/zone/status"):
            await client.connect()


async def test_requests_in_flight_are_capped() -> None:
    """At most `MAX_REQUESTS_IN_FLIGHT` requests are written and unanswered at once; the others wait their turn.

    A system of 60 areas asks for 60 zone lists at once; a processor that answers each after a while sees no more
    than the cap outstanding, and the start-up still reads them all.
    """
    credentials = LeapCredentials.generate()
    areas = [{"href": f"/area/{100 + n}", "Name": f"Area {n}"} for n in range(60)]
    outstanding = 0
    most = 0
    loop = asyncio.get_running_loop()

    def answer_later(send: Any, message: dict[str, Any]) -> None:
        nonlocal outstanding
        outstanding -= 1
        send(message)

    def extra(request: dict[str, Any], send: Any) -> bool:
        nonlocal outstanding, most
        outstanding += 1
        most = max(most, outstanding)
        url = request["Header"]["Url"]
        if url == "/area":
            message = reply(request, "MultipleAreaDefinition", areas)
        elif url.endswith("/associatedzone"):
            zone = f"/zone/{int(url.split('/')[2]) + 1000}"
            message = reply(
                request,
                "MultipleZoneDefinition",
                [{"href": zone, "Name": "Lamp", "ControlType": "Switched"}],
            )
        else:
            outstanding -= 1
            return False
        loop.call_later(0.01, answer_later, send, message)
        return True

    script = _system_script(_processor_device(), extra=extra)
    async with scripted(credentials, script) as port:
        client = LeapClient(HOST, certificates(credentials), port=port, timings=FAST)
        await client.connect()
        assert len(client.description.devices) == 60
        assert most == MAX_REQUESTS_IN_FLIGHT
        diagnostics = client.diagnostics()
        assert diagnostics["queued_requests"] > 0
        assert diagnostics["requests_in_flight"] == 0
        await client.close()


async def test_project_transferred_while_connected_is_read_again() -> None:
    """LP10: a project transferred to a processor that keeps the session is noticed within a ping interval.

    A new `ProjectModifiedTimestamp`, an area and its zone added: the system is read again on a new session and the
    changes published, as after a reboot.
    """
    credentials = LeapCredentials.generate()
    project: dict[str, Any] = {
        "Name": "Scripted",
        "ProjectModifiedTimestamp": {
            "Year": 2026,
            "Month": 1,
            "Day": 1,
            "Hour": 0,
            "Minute": 0,
            "Second": 0,
        },
    }
    areas = [{"href": "/area/2", "Name": "Hall"}]
    zones = {2: [{"href": "/zone/5", "Name": "Lamp", "ControlType": "Switched"}]}

    def extra(request: dict[str, Any], send: Any) -> bool:
        url = request["Header"]["Url"]
        if url == "/project":
            send(reply(request, "OneProjectDefinition", project))
        elif url == "/area":
            send(reply(request, "MultipleAreaDefinition", areas))
        elif url.endswith("/associatedzone"):
            send(
                reply(request, "MultipleZoneDefinition", zones[int(url.split("/")[2])])
            )
        elif url == "/zone/status":
            statuses = [
                {"href": f"{zone['href']}/status", "Level": 100}
                for area_zones in zones.values()
                for zone in area_zones
            ]
            send(reply(request, "MultipleZoneStatus", statuses))
        else:
            return False
        return True

    script = _system_script(_processor_device(), extra=extra)
    async with scripted(credentials, script) as port:
        client = LeapClient(
            HOST,
            certificates(credentials),
            port=port,
            timings=replace(FAST, keepalive_interval=0.05),
        )
        await client.connect()
        changed: list[tuple[str, str]] = []
        client.subscribe_project_changed(lambda old, new: changed.append((old, new)))
        events: list[Event] = []
        client.events.subscribe(events.append)
        await asyncio.sleep(0.12)  # project reads that find nothing new change nothing
        assert client.diagnostics()["connects"] == 1
        areas.append({"href": "/area/3", "Name": "Porch"})
        zones[3] = [
            {"href": "/zone/6", "Name": "Porch light", "ControlType": "Switched"}
        ]
        project["ProjectModifiedTimestamp"] = project["ProjectModifiedTimestamp"] | {
            "Day": 2
        }
        await wait_until(lambda: bool(changed) and client.connected)
        assert changed == [("01/01/2026,00:00:00", "01/02/2026,00:00:00")]
        added = [e for e in events if e.kind is EventKind.DEVICE_ADDED]
        assert [e.value.name for e in added] == ["Porch"]
        porch = added[0].serial
        assert porch is not None
        assert client.state(porch).zones[0].on
        assert client.diagnostics()["connects"] == 2
        await client.close()
