"""The pure parts of LEAP: messages (LP2, LP5–LP8), resources (LP10–LP16), certificates (LP4, LP21), the listener."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import logging
from pathlib import Path
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import build_description
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import (
    CertificateRequestError,
    LeapCredentials,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import (
    Profile,
    ResourceTree,
    zone_status,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.tls import TlsListener
from custom_components.homeworks_qsx.qsx.emulator.limits import AddressLog, SocketBudget
from custom_components.homeworks_qsx.qsx.emulator.sessions import SessionProtocol
from custom_components.homeworks_qsx.qsx.leap import protocol
from custom_components.homeworks_qsx.qsx.leap.protocol import (
    BodyType,
    CommuniqueType,
    LeapError,
    LineReader,
    Pager,
    Status,
)
from tests.qsx.serving import WAIT


def test_lp2_line_reader() -> None:
    """LP2: LF or CR LF; lines split across packets; blank lines dropped; an over-long line ends the stream."""
    reader = LineReader(max_line=10)
    assert reader.feed(b"ab") == []
    assert reader.feed(b"c\r\n\r\n  \nde\nf") == [b"abc", b"de"]
    assert reader.feed(b"\n") == [b"f"]
    assert reader.feed(b"0123456789\r\n") == [b"0123456789"]
    assert reader.feed(b"ok\n" + b"x" * 20 + b"\nlater\n") == [b"ok", None]
    assert reader.feed(b"more\n") == []
    unterminated = LineReader(max_line=10)
    assert unterminated.feed(b"y" * 12) == [None]


def test_lp5_request_and_reply_builders() -> None:
    """LP5–LP7: what a client builds and reads back, through the same module."""
    request = protocol.make_request(
        CommuniqueType.READ_REQUEST,
        "/zone/status",
        "t",
        body={"x": 1},
        paging={"Offset": 1},
    )
    assert request == {
        "CommuniqueType": "ReadRequest",
        "Header": {"Url": "/zone/status", "ClientTag": "t", "Paging": {"Offset": 1}},
        "Body": {"x": 1},
    }
    parsed = protocol.parse_request(protocol.decode(protocol.encode(request)))
    assert parsed.url == "/zone/status"
    assert parsed.client_tag == "t"
    assert protocol.make_request(CommuniqueType.READ_REQUEST, "/project") == {
        "CommuniqueType": "ReadRequest",
        "Header": {"Url": "/project"},
    }
    assert (
        protocol.RESPONSE_TO[CommuniqueType.CREATE_REQUEST]
        is CommuniqueType.CREATE_RESPONSE
    )
    assert Status.NOT_FOUND.code == 404
    assert protocol.status_code("201 Created") == 201
    assert protocol.status_code("Created") is None
    assert BodyType.ONE_ZONE_STATUS.body_key == "ZoneStatus"
    assert protocol.id_from_href("/zone/12/status") == 12
    assert protocol.id_from_href("/project") is None
    assert protocol.request_tag({"Header": "x"}) is None
    error = protocol.not_found("/x")
    assert (error.status, error.message) == (
        Status.NOT_FOUND,
        "This resource does not exist : /x",
    )


@pytest.mark.parametrize("tag", [None, "t", 'quote " back\\slash', "é ✓"])
def test_lp5_reply_from_encoded_content(tag: str | None) -> None:
    """LP2, LP5: a reply spliced from its prefix and encoded content is the same line as the whole reply encoded."""
    content = [{"href": "/zone/10/status", "Level": 100, "Name": "Zone ✓"}]
    prefix = protocol.reply_prefix(
        CommuniqueType.READ_RESPONSE,
        Status.OK,
        "/zone/status",
        tag,
        BodyType.MULTIPLE_ZONE_STATUSES,
    )
    whole = protocol.make_reply(
        CommuniqueType.READ_RESPONSE,
        Status.OK,
        "/zone/status",
        tag,
        body_type=BodyType.MULTIPLE_ZONE_STATUSES,
        content=content,
    )
    line = protocol.encode_reply(prefix, protocol.encode_json(content))
    assert line == protocol.encode(whole)
    assert protocol.decode(line) == whole


@pytest.mark.parametrize("tag", [None, "t", 'quote " back\\slash', "é ✓"])
@pytest.mark.parametrize("url", [None, "/button/12/commandprocessor", "/é ✓"])
def test_lp6_no_content_reply(url: str | None, tag: str | None) -> None:
    """LP6: a `204` line written straight is the same line as the reply built and encoded."""
    for kind in (CommuniqueType.CREATE_RESPONSE, CommuniqueType.SUBSCRIBE_RESPONSE):
        assert protocol.encode_no_content(kind, url, tag) == protocol.encode(
            protocol.make_reply(kind, Status.NO_CONTENT, url, tag)
        )


def test_lp14_zone_status_text() -> None:
    """LP14, LP15: a zone's status as JSON text follows its module's state, for zones and CCOs."""
    emulator = Emulator(build_description([1]))
    tree = ResourceTree(emulator.description)
    serial = emulator.description.modules[0].serial
    for target in tree.targets.values():
        for on in (True, False, True):
            if target.number is None:
                emulator.set_cco(serial, on)
            else:
                emulator.set_zone(serial, target.number, on)
            state = emulator.state(serial)
            text = tree.zone_status_json(target, state)
            assert json.loads(text) == zone_status(target, state)
            assert text == protocol.encode_json(zone_status(target, state))


def test_lp8_pager() -> None:
    """LP8: pages and their paging objects; a forged or out-of-range object is refused."""
    pager = Pager(b"k", page_size=2)
    items = [1, 2, 3, 4, 5]
    page, paging = pager.page("/u", items, pager.start("/u", None))
    assert (list(page), paging is not None) == ([1, 2], True)
    assert paging is not None
    offset = pager.start("/u", paging)
    assert list(pager.page("/u", items, offset)[0]) == [3, 4]
    with pytest.raises(LeapError):
        pager.start("/v", paging)
    with pytest.raises(LeapError):
        pager.start("/u", {"Offset": True, "Token": paging["Token"]})
    with pytest.raises(LeapError, match="past the end"):
        pager.page("/u", [1], 3)
    assert (
        Pager(b"other", 2).page("/u", items, 0)[1] != paging
    )  # keyed: another server's objects differ


def test_lp8_forged_paging_with_any_text_is_400() -> None:
    """LP8: a paging token that is not ASCII is refused like any forged one, not a fault (500)."""
    pager = Pager(b"k", 2)
    with pytest.raises(LeapError, match="not issued"):
        pager.start("/area", {"Offset": 2, "Token": "é"})


def test_lp16_anonymous_profile() -> None:
    """LP16: as a real QSX with firmware 22: Unknown devices, numbered enclosure names, no model, serial or zones."""
    tree = ResourceTree(build_description([2]), Profile.ANONYMOUS)
    devices = [tree.devices[device_id] for device_id in tree.module_devices]
    assert [device["Name"] for device in devices] == [
        "Enclosure Device 001",
        "Enclosure Device 002",
    ]
    for device in devices:
        assert device["DeviceType"] == "Unknown"
        assert not {"ModelNumber", "SerialNumber", "LocalZones"} & set(device)
    assert all("Device" not in zone for zone in tree.zones.values())
    assert tree.devices[tree.processor_id]["DeviceType"] == "HWQSProcessor"


def test_lp13_empty_system() -> None:
    """LP13: a system without modules has a root area only, which is a leaf."""
    tree = ResourceTree(build_description([0]))
    assert list(tree.areas) == [tree.root_area_id]
    assert tree.areas[tree.root_area_id]["IsLeaf"]
    assert tree.read("/device?where=IsThisDevice:false") == (
        BodyType.MULTIPLE_DEVICES,
        [],
    )


def test_lp4_credentials_store(tmp_path: Path) -> None:
    """LP4: created once, kept in a private file beside the state, read back the same; the repr shows no key."""
    companion = LeapCredentials.companion_path(tmp_path / "state.json")
    assert companion.name == "state.json.leap.json"
    created, new = LeapCredentials.load_or_create(companion)
    assert new
    assert companion.stat().st_mode & 0o777 == 0o600
    loaded, new = LeapCredentials.load_or_create(companion)
    assert not new
    assert loaded == created
    assert "PRIVATE" not in repr(loaded)
    assert "CA" in repr(loaded)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{broken", "cannot read"),
        ("[1]", "not an object"),
        (json.dumps({"format": 9}), "Unknown LEAP credentials format"),
        (json.dumps({"format": 1, "ca_key": "x"}), "missing"),
    ],
)
def test_lp4_credentials_store_errors(
    tmp_path: Path, content: str, message: str
) -> None:
    """LP4: a damaged credentials file is refused with its cause (never replaced silently)."""
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        LeapCredentials.load_or_create(path)
    assert path.read_text() == content


def test_lp4_credentials_that_do_not_match(credentials: LeapCredentials) -> None:
    """LP4: a server certificate from another CA, or a key that is not PEM, is refused."""
    other = LeapCredentials.generate()
    mixed = {**credentials.to_dict(), "server_certificate": other.server_cert_pem}
    with pytest.raises(ValueError, match="not usable"):
        LeapCredentials.from_dict(mixed)
    with pytest.raises(ValueError, match="not usable"):
        LeapCredentials.from_dict({**credentials.to_dict(), "ca_key": "not a key"})


@pytest.mark.parametrize(
    ("swapped", "message"),
    [
        ("ca_key", "the CA's key does not match the CA certificate"),
        ("server_key", "the server's key does not match its certificate"),
    ],
)
def test_lp4_key_that_is_not_its_certificates(
    tmp_path: Path, credentials: LeapCredentials, swapped: str, message: str
) -> None:
    """LP4: a CA (or server) key that is not its certificate's is refused at load, naming which and the file.

    Accepted, it would sign certificates that no client or server can verify.
    """
    other = LeapCredentials.generate()
    mixed = {**credentials.to_dict(), swapped: other.to_dict()[swapped]}
    with pytest.raises(ValueError, match=message):
        LeapCredentials.from_dict(mixed)
    path = tmp_path / "ca.json"
    path.write_text(json.dumps(mixed))
    with pytest.raises(ValueError, match=f"{path}: .*{message}"):
        LeapCredentials.load_or_create(path)


def test_lp4_credentials_that_cannot_be_written(tmp_path: Path) -> None:
    """LP4: a CA that cannot be saved is an `OSError` naming the file and the cause; nothing is left behind."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    path = blocker / "ca.json"
    with pytest.raises(OSError, match=f"{path}: cannot write the LEAP credentials: "):
        LeapCredentials.load_or_create(path)
    assert list(tmp_path.iterdir()) == [blocker]


def test_lp21_csr_checks(credentials: LeapCredentials) -> None:
    """LP21: Ed25519 keys are refused; a CSR without a subject gets a default name; bytes are accepted."""
    ed_key = ed25519.Ed25519PrivateKey.generate()
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(ed_key, None)
    )
    with pytest.raises(CertificateRequestError, match="Ed25519"):
        credentials.sign_request(request.public_bytes(serialization.Encoding.PEM))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    anonymous = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(rsa_key, hashes.SHA256())
    )
    signed = credentials.sign_request(
        anonymous.public_bytes(serialization.Encoding.PEM)
    )
    certificate = x509.load_pem_x509_certificate(signed.encode())
    assert certificate.subject.rfc4514_string() == "CN=homeworks_qsx client"
    named = credentials.sign_request(
        anonymous.public_bytes(serialization.Encoding.PEM), "x" * 100
    )
    certificate = x509.load_pem_x509_certificate(named.encode())
    assert certificate.subject.rfc4514_string() == "CN=" + "x" * 64


class _Recorder(SessionProtocol):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def session_started(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def session_data(self, data: bytes) -> None:
        self.received.append(data)

    def session_lost(self, exc: Exception | None) -> None:
        self.transport = None


def test_session_protocol_keeps_early_data() -> None:
    """Data that arrives with the end of the handshake, before the session starts, is handed over in order."""
    protocol_ = _Recorder()
    protocol_.data_received(b"a")
    protocol_.data_received(b"b")
    protocol_.connection_made(_FakeTransport())
    protocol_.data_received(b"c")
    assert protocol_.received == [b"a", b"b", b"c"]


class _FakeTransport(asyncio.Transport):
    """Only what `connection_made` looks at."""


async def test_listener_bounds_pending_handshakes(
    socket_enabled: None, credentials: LeapCredentials
) -> None:
    """At the bound of handshakes in progress the oldest gives way; with no socket left a newcomer is closed.

    Stop abandons the handshakes still in progress and gives every socket back.
    """
    budget = SocketBudget(total=2, reserved=2)
    listener = TlsListener(
        "test",
        credentials.server_context(),
        _Recorder,
        limits=budget.listener("test", max_pending=1, handshake_deadline=WAIT),
        errors=AddressLog("test", logging.getLogger(__name__)),
    )
    port = await listener.start("127.0.0.1", 0)
    first = await asyncio.open_connection("127.0.0.1", port)
    await _until(lambda: budget.open_sockets == 1)
    second = await asyncio.open_connection("127.0.0.1", port)
    assert await asyncio.wait_for(first[0].read(), WAIT) == b""  # displaced
    await _until(lambda: budget.open_sockets == 1)
    await listener.stop()
    assert await asyncio.wait_for(second[0].read(), WAIT) == b""
    assert budget.open_sockets == 0
    for writer in (first[1], second[1]):
        writer.close()


async def test_listener_refuses_when_the_budget_is_spent(
    socket_enabled: None, credentials: LeapCredentials, client_context: ssl.SSLContext
) -> None:
    """A session holds its socket; with none left and no handshake to displace, a newcomer is closed at once."""
    budget = SocketBudget(total=1, reserved=1)
    limits = budget.listener("test")
    listener = TlsListener(
        "test",
        credentials.server_context(),
        _Recorder,
        limits=limits,
        errors=AddressLog("test", logging.getLogger(__name__)),
    )
    port = await listener.start("127.0.0.1", 0)
    _, kept = await asyncio.open_connection(
        "127.0.0.1", port, ssl=client_context, server_hostname=None
    )
    await _until(lambda: budget.open_sockets == 1 and not limits.pending)
    refused_reader, refused_writer = await asyncio.open_connection("127.0.0.1", port)
    assert await asyncio.wait_for(refused_reader.read(), WAIT) == b""
    assert listener.refused_handshakes == 1
    kept.close()
    refused_writer.close()
    await _until(lambda: budget.open_sockets == 0)
    await listener.stop()


class _AbortRecorder(asyncio.Transport):
    """A connection as the listener sees it, before anything is read from it."""

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.aborted


async def test_listener_stopped_before_a_handshake_starts_gives_its_socket_back(
    socket_enabled: None, credentials: LeapCredentials
) -> None:
    """A handshake abandoned before its task ever ran still gives its socket place back and closes the connection."""
    budget = SocketBudget(total=2, reserved=2)
    limits = budget.listener("test", handshake_deadline=WAIT)
    listener = TlsListener(
        "test",
        credentials.server_context(),
        _Recorder,
        limits=limits,
        errors=AddressLog("test", logging.getLogger(__name__)),
    )
    await listener.start("127.0.0.1", 0)
    transport = _AbortRecorder()
    listener.accepted(transport)  # its handshake task is created, not yet run
    assert budget.open_sockets == 1
    await listener.stop()
    assert budget.open_sockets == 0
    assert not limits.pending  # no deadline timer left behind
    assert transport.aborted


async def test_listener_starts_no_tls_for_a_connection_closed_before_its_turn(
    socket_enabled: None, credentials: LeapCredentials
) -> None:
    """A connection closed before its handshake began (displaced at the bound) is a failed handshake at once.

    Starting TLS on it would keep its TLS state (a 256 KiB buffer) alive until the handshake deadline: a flood of
    half-open connections grew the server by hundreds of MiB.
    """
    budget = SocketBudget(total=2, reserved=2)
    listener = TlsListener(
        "test",
        credentials.server_context(),
        _Recorder,
        limits=budget.listener("test", handshake_deadline=WAIT),
        errors=AddressLog("test", logging.getLogger(__name__)),
    )
    await listener.start("127.0.0.1", 0)
    transport = _AbortRecorder()
    listener.accepted(transport)
    transport.abort()  # closed before its handshake task runs
    await _until(lambda: listener.failed_handshakes == 1)
    assert budget.open_sockets == 0
    await listener.stop()


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


async def test_listener_counts_a_client_that_hangs_up(
    socket_enabled: None, credentials: LeapCredentials
) -> None:
    """A client that closes during its handshake is a failed handshake, nothing more."""
    listener = TlsListener(
        "test",
        credentials.server_context(),
        _Recorder,
        limits=SocketBudget().listener("test"),
        errors=AddressLog("test", logging.getLogger(__name__)),
    )
    port = await listener.start("127.0.0.1", 0)
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"\x16\x03\x01\x00\x05hello"
    )  # the start of a TLS record, then nothing sensible
    writer.close()

    async def failed() -> None:
        while listener.failed_handshakes == 0:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(failed(), WAIT)
    await listener.stop()


def test_lp19_emulator_unchanged_by_a_tree() -> None:
    """Building a tree reads the description only."""
    emulator = Emulator(build_description([1]))
    before = emulator.export_state()
    ResourceTree(emulator.description)
    assert emulator.export_state() == before


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "00:00:00"),
        (1.4, "00:00:01"),
        (1.5, "00:00:02"),  # LP28 (ours): rounded to the nearest second, not floored
        (3725, "01:02:05"),
        (-3, "00:00:00"),
        (99999, "04:00:00"),  # LP26: at most 4 h
    ],
)
def test_lp26_lp28_duration_text(seconds: float, text: str) -> None:
    """LP25, LP26, LP28: a fade as the `hh:mm:ss` a client sends."""
    assert protocol.format_duration(seconds) == text


def test_lp9_body_keys_of_the_whole_house() -> None:
    """LP36, LP38, LP41, LP45: every body type of the new kinds names its body key."""
    assert BodyType.MULTIPLE_BUTTON_GROUPS_EXPANDED.body_key == "ButtonGroupsExpanded"
    assert BodyType.ONE_BUTTON_STATUS_EVENT.body_key == "ButtonStatus"
    assert BodyType.ONE_LED_STATUS.body_key == "LEDStatus"
    assert BodyType.MULTIPLE_TIMECLOCK_STATUSES.body_key == "TimeclockStatuses"
    assert {kind.body_key for kind in BodyType} >= {"Timeclocks", "TimeclockStatus"}
