"""The project database over HTTP: `GET /DbXmlInfo.xml` (`dbxml.md`), served beside the LIP server.

`DatabaseServer` is aiohttp's request handler behind a wrapper of its own (`_HttpConnection`): aiohttp's server
has no deadline for a request's headers and no connection cap, so every accepted socket is first admitted through
the listener's share of the `SocketBudget` (`qsx/limits.py`), or answered 503 and closed. Every answer closes its
connection (one request each), and the document is built once per change of the system.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final, override

from aiohttp import web

from ...model import SystemDescription
from .. import Emulator
from ..limits import Admission, ListenerLimits
from .dbxml_build import build_dbxml

HTTP_UNAVAILABLE: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 47\r\n"
    b"Connection: close\r\n\r\nToo many connections are open; try again later\n"
)
DATABASE_PATH: Final = "/DbXmlInfo.xml"


class _HttpConnection(asyncio.Protocol):
    """One HTTP connection through the socket budget: aiohttp's request handler behind a header deadline.

    The accepted socket is admitted here first (or answered 503 and closed), and the handler sees it only once
    admitted.
    """

    __slots__ = ("_admission", "_handler", "_server", "_transport")

    def __init__(self, server: DatabaseServer, handler: asyncio.Protocol) -> None:
        self._server = server
        self._handler = handler
        self._admission: Admission | None = None
        self._transport: asyncio.BaseTransport | None = None

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if not self._server.on_network():
            transport.abort()  # a processor off the network answers nothing (LP53)
            return
        self._admission = self._server.limits.admit(transport.abort)
        if self._admission is None:
            self._server.on_refused()
            transport.write(HTTP_UNAVAILABLE)
            transport.close()
            return
        self._transport = transport
        self._server.admissions[transport] = self._admission
        self._handler.connection_made(transport)

    @override
    def data_received(self, data: bytes) -> None:
        if self._admission is not None:
            self._handler.data_received(data)

    @override
    def eof_received(self) -> bool | None:
        return self._handler.eof_received() if self._admission is not None else None

    @override
    def pause_writing(self) -> None:
        self._handler.pause_writing()

    @override
    def resume_writing(self) -> None:
        self._handler.resume_writing()

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        if self._admission is None:
            return
        self._admission.release()
        self._server.admissions.pop(self._transport, None)
        self._handler.connection_lost(exc)


class DatabaseServer:
    """Serve the project database of `emulator` over HTTP.

    Args:
        emulator: the system whose description is served.
        limits: the HTTP listener's share of the socket budget (connections and header deadline).
        reply_delay: seconds before each answer (emulates a network round trip).
        on_refused: called for each connection refused because the budget is spent.
        on_network: whether the processor is on the network; while it is not, connections are closed at once.

    """

    def __init__(
        self,
        emulator: Emulator,
        limits: ListenerLimits,
        reply_delay: float,
        on_refused: Callable[[], None],
        on_network: Callable[[], bool] = lambda: True,
    ) -> None:
        """Prepare the server; nothing listens before `start()`."""
        self.emulator = emulator
        self.limits = limits
        self.on_refused = on_refused
        self.on_network = on_network
        # Admitted connections, by transport: a request's arrival ends its header deadline.
        self.admissions: dict[asyncio.BaseTransport | None, Admission] = {}
        self._reply_delay = reply_delay
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._database_cache: tuple[SystemDescription, bytes] | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on `host`:`port` and return the bound port; `OSError` when the address cannot be bound."""
        app = web.Application(middlewares=[self._request_started])
        app.router.add_get(DATABASE_PATH, self._database)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        handlers = runner.server
        assert handlers is not None
        try:
            server = await asyncio.get_running_loop().create_server(
                lambda: _HttpConnection(self, handlers()), host, port
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._server = server
        return int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and close the connections."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @web.middleware
    async def _request_started(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """End the connection's header deadline; every answer closes the connection (one request each)."""
        admission = self.admissions.get(request.transport)
        if admission is not None:
            admission.established()
        try:
            response = await handler(request)
        except web.HTTPException as err:
            response = web.Response(status=err.status, text=err.text)
        response.force_close()
        return response

    async def _database(self, request: web.Request) -> web.Response:
        if self._reply_delay:
            await asyncio.sleep(self._reply_delay)
        description = self.emulator.description
        if self._database_cache is None or self._database_cache[0] is not description:
            # Descriptions are frozen: a new one is a new object, and the document is built once per change.
            self._database_cache = (description, build_dbxml(description))
        response = web.Response(
            body=self._database_cache[1],
            content_type="text/xml",
            charset="utf-8",
        )
        response.force_close()  # dbxml.md: send Content-Length and close after the body
        return response
