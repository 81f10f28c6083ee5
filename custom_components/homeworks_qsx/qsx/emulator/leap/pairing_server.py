"""Pairing (LAP, LP20–LP21): a client without a certificate gets one signed by the emulator's CA.

The pairing port (8083) speaks TLS with the emulator's server certificate and asks for no client certificate (a
client presents the application certificate pylutron-caseta ships, which no CA of ours signed). Every connection
receives a status line at once: with `PhysicalAccess` among its permissions while the pairing window is open
(`open_pairing_window`, the emulator's "pairing button"), without it otherwise; connections that are waiting
receive the granting line when the window opens. A client that holds the permission sends its certificate signing
request (`/pair`, `CSR`, tagged `get-cert`) and receives its certificate and the CA, tagged `get-cert`. A
connection is closed 180 s after it opened (LP21), after a signed certificate, or on a line over 64 KiB.

Limits: 5 pairing connections at once (more get a TLS close), TLS handshake within 10 s; every socket takes its
place in the `SocketBudget` (`qsx/limits.py`) the emulator's other listeners share; one press of the button issues
at most `MAX_CERTIFICATES_PER_WINDOW` certificates; a connection may send `MAX_PAIRING_REQUESTS` requests, the next
is refused and the connection closed. Each certificate is named by the server (`CN=homeworks_qsx client paired from
<address>`), never by the request. Refusals never echo text that cannot be encoded, and warnings about a peer are a
summary per source address (`AddressLog`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import itertools
import logging
from typing import Any, Final

from ...leap.protocol import (
    MAX_INBOUND_LINE_BYTES,
    PAIRING_PORT,
    LeapError,
    LineReader,
    Status,
    check_text,
    close_after_long_line,
    decode,
    encode,
    line_too_long,
    request_tag,
)
from ..limits import (
    DEFAULT_HOST,
    MAX_PENDING_HANDSHAKES,
    TLS_HANDSHAKE_DEADLINE,
    AddressLog,
    SocketBudget,
)
from ..sessions import ServedSession, peer_address, peer_name
from .certs import DEFAULT_CLIENT_NAME, CertificateRequestError, LeapCredentials
from .tls import TlsListener

_LOGGER = logging.getLogger(__name__)

MAX_PAIRING_SESSIONS: Final = 5
# Certificates one press of the pairing button may issue; then the window closes (LP21, ours).
MAX_CERTIFICATES_PER_WINDOW: Final = 5
# Requests one pairing connection may send (a client sends one CSR); the next is refused and the connection
# closed, so neither the replies it leaves unread nor the time spent on it grow with what it sends.
MAX_PAIRING_REQUESTS: Final = 16
# LP21: seconds before a connection is closed, paired or not.
PAIRING_TIMEOUT: Final = 180.0
PAIR_URL: Final = "/pair"
PAIR_TAG: Final = "get-cert"
PERMISSION_PUBLIC: Final = "Public"
PERMISSION_PHYSICAL: Final = "PhysicalAccess"
STATUS_CONTENT_TYPE: Final = "status;plurality=single"
SIGNING_CONTENT_TYPE: Final = "signing-result;plurality=single"
EXCEPTION_CONTENT_TYPE: Final = "exception;plurality=single"


def status_line(granted: bool) -> dict[str, Any]:
    """LP20: the status line; `granted` adds `PhysicalAccess` (the pairing button was pressed)."""
    permissions = (
        [PERMISSION_PUBLIC, PERMISSION_PHYSICAL] if granted else [PERMISSION_PUBLIC]
    )
    return {
        "Header": {"StatusCode": Status.OK.value, "ContentType": STATUS_CONTENT_TYPE},
        "Body": {"Status": {"Permissions": permissions}},
    }


def _refusal(error: LeapError, tag: str | None) -> dict[str, Any]:
    header: dict[str, Any] = {
        "StatusCode": error.status.value,
        "ContentType": EXCEPTION_CONTENT_TYPE,
    }
    if tag is not None:
        header["ClientTag"] = tag
    return {"Header": header, "Body": {"Message": error.message}}


@dataclass(slots=True, eq=False)
class _Connection:
    number: int
    peer: str
    address: str
    transport: asyncio.Transport
    reader: LineReader
    deadline: asyncio.TimerHandle | None = None
    granted: bool = False
    closed: bool = False
    requests: int = 0

    def send(self, message: Mapping[str, Any]) -> None:
        if not self.closed:
            self.transport.write(encode(message))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.deadline is not None:
                self.deadline.cancel()
            self.transport.close()


class PairingServer:
    """Serve LAP pairing for an emulator whose CA is in `credentials`.

    Args:
        credentials: the emulator's CA and server certificate.
        host: address to listen on (default loopback only).
        port: TCP port (8083 as on a processor; 0 picks a free one).
        max_sessions: pairing connections at once.
        handshake_timeout: seconds a client has to finish the TLS handshake.
        budget: the open-socket budget shared with the emulator's other listeners (a new one by default).
        max_pending_handshakes: connections still in their TLS handshake at once; at the bound the oldest gives way.
        pairing_timeout: seconds before a connection is closed (LP21).
        max_certificates_per_window: certificates one opening of the window may issue; then it closes.

    """

    def __init__(
        self,
        credentials: LeapCredentials,
        host: str = DEFAULT_HOST,
        port: int = PAIRING_PORT,
        *,
        max_sessions: int = MAX_PAIRING_SESSIONS,
        handshake_timeout: float = TLS_HANDSHAKE_DEADLINE,
        budget: SocketBudget | None = None,
        max_pending_handshakes: int = MAX_PENDING_HANDSHAKES,
        pairing_timeout: float = PAIRING_TIMEOUT,
        max_certificates_per_window: int = MAX_CERTIFICATES_PER_WINDOW,
    ) -> None:
        """Prepare the server; nothing listens before `start()`; the pairing window is closed."""
        self._max_certificates = max_certificates_per_window
        # Certificates issued since the window last opened.
        self._issued_in_window = 0
        self.credentials = credentials
        self.host = host
        self._port = port
        self._max_sessions = max_sessions
        self._budget = budget if budget is not None else SocketBudget()
        self._limits = self._budget.listener(
            "pairing",
            max_pending=max_pending_handshakes,
            handshake_deadline=handshake_timeout,
        )
        self._pairing_timeout = pairing_timeout
        # What peers cause that is worth a warning: a summary per source address.
        self.errors = AddressLog("Refused LEAP pairing input", _LOGGER)
        self._server: TlsListener | None = None
        self._connections: set[_Connection] = set()
        self._numbers = itertools.count(1)
        self._window_ends: float | None = None
        self._window_timer: asyncio.TimerHandle | None = None
        self._counters = {
            "connections": 0,
            "refused": 0,
            "paired": 0,
            "rejected_requests": 0,
        }

    @property
    def port(self) -> int:
        """The port (the real one once started, when 0 was asked for)."""
        return self._port

    @property
    def pairing_window_open(self) -> bool:
        """Whether the pairing button's window is open now."""
        return (
            self._window_ends is not None
            and asyncio.get_running_loop().time() < self._window_ends
        )

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the address, the window and counters (no keys)."""
        return {
            "host": self.host,
            "pairing_port": self._port,
            "listening": self._server is not None,
            "pairing_window_open": self._window_ends is not None,
            "open_connections": len(self._connections),
            "pending_handshakes": len(self._limits.pending),
            **{f"tls_{key}": value for key, value in self._limits.counters.items()},
            **self._counters,
        }

    def open_pairing_window(self, seconds: float) -> None:
        """Press the pairing button (LP21): grant `PhysicalAccess` for `seconds`, to waiting clients too."""
        if seconds <= 0:
            raise ValueError("The pairing window must last more than 0 seconds")
        loop = asyncio.get_running_loop()
        self._window_ends = loop.time() + seconds
        if self._window_timer is not None:
            self._window_timer.cancel()
        self._window_timer = loop.call_later(seconds, self.close_pairing_window)
        self._issued_in_window = 0
        _LOGGER.info("LEAP pairing window open for %s s", seconds)
        for connection in list(self._connections):
            self._grant(connection)

    def close_pairing_window(self) -> None:
        """End the pairing window now (clients already granted keep their permission until they pair)."""
        self._window_ends = None
        if self._window_timer is not None:
            self._window_timer.cancel()
            self._window_timer = None

    async def start(self) -> None:
        """Listen; `OSError` when the address cannot be bound."""
        if self._server is not None:
            return
        context = await asyncio.to_thread(
            self.credentials.server_context, require_client_certificate=False
        )
        listener = TlsListener(
            "LEAP pairing",
            context,
            lambda: ServedSession(self, self.errors),
            limits=self._limits,
            errors=self.errors,
        )
        self._port = await listener.start(self.host, self._port)
        self._server = listener
        _LOGGER.info("LEAP pairing listening on %s:%s", self.host, self._port)

    async def stop(self) -> None:
        """Close every connection and the listener."""
        self.close_pairing_window()
        server, self._server = self._server, None
        if server is not None:
            await server.stop()
        for connection in list(self._connections):
            connection.close()
            connection.transport.abort()
        self.errors.close()

    def _grant(self, connection: _Connection) -> None:
        if not connection.granted and not connection.closed:
            connection.granted = True
            connection.send(status_line(granted=True))

    def session_opened(self, transport: asyncio.Transport) -> _Connection | None:
        """Start a pairing connection, or refuse it with a TLS close."""
        peer = peer_name(transport)
        if self._server is None or len(self._connections) >= self._max_sessions:
            self._counters["refused"] += 1
            _LOGGER.debug(
                "LEAP pairing connection from %s refused: %d open",
                peer,
                len(self._connections),
            )
            self.errors.record(
                peer_address(transport),
                f"{self._max_sessions} pairing connections open",
            )
            transport.close()
            return None
        connection = _Connection(
            next(self._numbers),
            peer,
            peer_address(transport),
            transport,
            LineReader(MAX_INBOUND_LINE_BYTES),
        )
        self._connections.add(connection)
        self._counters["connections"] += 1
        connection.deadline = asyncio.get_running_loop().call_later(
            self._pairing_timeout, self._expire, connection
        )
        if self.pairing_window_open:
            self._grant(connection)
        else:
            connection.send(status_line(granted=False))
        return connection

    def _expire(self, connection: _Connection) -> None:
        connection.deadline = None
        _LOGGER.info("LEAP pairing connection from %s timed out", connection.peer)
        connection.close()

    def session_closed(self, connection: _Connection, exc: Exception | None) -> None:
        """Forget a connection that is gone."""
        connection.closed = True
        if connection.deadline is not None:
            connection.deadline.cancel()
            connection.deadline = None
        self._connections.discard(connection)

    def session_received(self, connection: _Connection, data: bytes) -> None:
        """Handle the requests in `data`."""
        for line in connection.reader.feed(data):
            if connection.closed:
                return
            if line is None:
                self._counters["rejected_requests"] += 1
                self.errors.record(
                    connection.address, f"line over {MAX_INBOUND_LINE_BYTES} bytes"
                )
                connection.send(_refusal(line_too_long(MAX_INBOUND_LINE_BYTES), None))
                connection.closed = True
                close_after_long_line(connection.transport)
                return
            connection.requests += 1
            if connection.requests > MAX_PAIRING_REQUESTS:
                self._counters["rejected_requests"] += 1
                self.errors.record(
                    connection.address,
                    f"more than {MAX_PAIRING_REQUESTS} requests on one connection",
                )
                error = LeapError(
                    Status.BAD_REQUEST,
                    f"More than {MAX_PAIRING_REQUESTS} requests on one pairing connection",
                )
                connection.send(_refusal(error, None))
                connection.closed = True
                close_after_long_line(connection.transport)
                return
            self._request(connection, line)

    def _request(self, connection: _Connection, line: bytes) -> None:
        tag: str | None = None
        try:
            message = decode(line)
            tag = request_tag(message)
            check_text(message)
            certificate = self._sign(connection, message)
        except LeapError as err:
            self._counters["rejected_requests"] += 1
            _LOGGER.debug(
                "LEAP pairing request from %s refused: %.200r",
                connection.peer,
                err.message,
            )
            self.errors.record(connection.address, f"refused ({err.status.value})")
            connection.send(_refusal(err, tag))
            return
        except Exception as err:  # noqa: BLE001 (a fault of ours answers 500; nothing reaches the loop)
            self._counters["rejected_requests"] += 1
            _LOGGER.debug(
                "LEAP pairing request from %s failed", connection.peer, exc_info=err
            )
            self.errors.record(
                connection.address, f"internal error ({type(err).__name__})"
            )
            connection.send(
                _refusal(LeapError(Status.INTERNAL_ERROR, "The request failed"), tag)
            )
            return
        self._counters["paired"] += 1
        _LOGGER.info("LEAP pairing: certificate issued to %s", connection.peer)
        reply_header: dict[str, Any] = {
            "StatusCode": Status.OK.value,
            "ContentType": SIGNING_CONTENT_TYPE,
        }
        if tag is not None:
            reply_header["ClientTag"] = tag
        connection.send(
            {
                "Header": reply_header,
                "Body": {
                    "SigningResult": {
                        "Certificate": certificate,
                        "RootCertificate": self.credentials.ca_cert_pem,
                    }
                },
            }
        )
        connection.close()

    def _sign(self, connection: _Connection, message: Mapping[str, Any]) -> str:
        """Check a pairing request in full (LP20, LP21) and return the signed certificate."""
        header = message.get("Header")
        if not isinstance(header, Mapping) or header.get("Url") != PAIR_URL:
            raise LeapError(
                Status.NOT_FOUND, f"Only {PAIR_URL} is served on the pairing port"
            )
        if header.get("RequestType") != "Execute":
            raise LeapError(Status.BAD_REQUEST, "Header.RequestType must be Execute")
        body = message.get("Body")
        parameters = body.get("Parameters") if isinstance(body, Mapping) else None
        if (
            not isinstance(body, Mapping)
            or body.get("CommandType") != "CSR"
            or not isinstance(parameters, Mapping)
        ):
            raise LeapError(
                Status.BAD_REQUEST, "Body must hold CommandType CSR and its Parameters"
            )
        csr = parameters.get("CSR")
        if not isinstance(csr, str):
            raise LeapError(Status.BAD_REQUEST, "Parameters.CSR must be a PEM string")
        if not connection.granted:
            raise LeapError(
                Status.FORBIDDEN,
                "Press the pairing button first: PhysicalAccess is not granted",
            )
        if self._issued_in_window >= self._max_certificates:
            raise LeapError(
                Status.FORBIDDEN,
                f"This press of the pairing button has issued its {self._max_certificates} "
                "certificates: press it again",
            )
        try:
            # The subject is what the server knows, never what the request names itself.
            certificate = self.credentials.sign_request(
                csr, f"{DEFAULT_CLIENT_NAME} paired from {connection.address}"
            )
        except CertificateRequestError as err:
            raise LeapError(Status.BAD_REQUEST, str(err)) from None
        self._issued_in_window += 1
        if self._issued_in_window >= self._max_certificates:
            _LOGGER.info(
                "LEAP pairing window closed: it issued its %d certificates",
                self._issued_in_window,
            )
            self.close_pairing_window()
        return certificate
