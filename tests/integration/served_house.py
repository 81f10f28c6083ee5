"""The emulated whole house served over LIP from a thread of its own, for third-party integrations in Home Assistant.

Core `lutron` calls pylutron's blocking `connect()` on Home Assistant's event loop: a server on that same loop could
never answer it. This one runs its emulator and `LipServer` on an event loop in another thread; the test reaches
the emulator through `call`, which runs a function on that loop and waits for it, bounded in time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
import threading
from typing import Any, Self

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.model import SystemDescription

WAIT = 10.0  # upper bound of starting, stopping, or one call on the server's loop


class ThreadedLipServer:
    """An emulator of `description` served over LIP (telnet `lip_port`, HTTP `http_port`) from its own thread."""

    def __init__(
        self,
        description: SystemDescription,
        host: str,
        username: str,
        password: str,
        *,
        lip_port: int = 23,
        http_port: int = 80,
    ) -> None:
        """Prepare the server; nothing runs before `start()`."""
        self._description = description
        self._address = (host, lip_port, http_port)
        self._credentials = (username, password)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="served-house", daemon=True
        )
        self._emulator: Emulator | None = None
        self._server: LipServer | None = None

    @property
    def emulator(self) -> Emulator:
        """The emulator behind the server (touch it only through `call`)."""
        assert self._emulator is not None, "not started"
        return self._emulator

    def start(self) -> Self:
        """Start the thread, the emulator and the server; return once it listens."""
        self._thread.start()
        self._run(self._start())
        return self

    async def _start(self) -> None:
        host, lip_port, http_port = self._address
        self._emulator = Emulator(self._description)
        # No failed-login delay: a rejected login is tested with the server.
        self._server = LipServer(
            self._emulator,
            host,
            lip_port,
            *self._credentials,
            http_port=http_port,
            failed_login_delay=0.0,
        )
        await self._server.start()

    def stop(self) -> None:
        """Stop the server and the emulator, then the loop and its thread."""
        if self._thread.is_alive():
            self._run(self._stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(WAIT)
        self._loop.close()

    async def _stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
        if self._emulator is not None:
            self._emulator.close()

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future: Future[None] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        future.result(WAIT)

    async def call[T](self, function: Callable[[Emulator], T]) -> T:
        """Run `function(emulator)` on the server's loop and return its result, without blocking this loop."""

        async def run() -> T:
            return function(self.emulator)

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        async with asyncio.timeout(WAIT):
            return await asyncio.wrap_future(future)
