"""The limits every server of one emulator shares (qsx/emulator/limits.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging

import pytest

from custom_components.homeworks_qsx.qsx.emulator.limits import (
    AddressLog,
    LoginThrottle,
    SocketBudget,
    idle_session_to_evict,
)


async def test_reservation_keeps_sockets_for_each_listener() -> None:
    """A listener that took every shared socket cannot take another's reservation."""
    budget = SocketBudget(total=6, reserved=2)
    flooded = budget.listener("HTTP", max_pending=100)
    quiet = budget.listener("LIP", max_pending=100)
    closed: list[int] = []

    def closer(number: int) -> Callable[[], None]:
        return lambda: closed.append(number)

    admitted = [flooded.admit(closer(n)) for n in range(5)]
    # The fifth displaced the flooded listener's oldest pending connection, not the other's reservation.
    assert closed == [0]
    assert budget.open_sockets == 4
    admitted += [quiet.admit(lambda: None) for _ in range(2)]
    assert all(admission is not None for admission in admitted)
    assert budget.open_sockets == 6
    assert quiet.admit(lambda: None) is not None  # displaces its own oldest
    assert (flooded.counters["displaced"], quiet.counters["displaced"]) == (1, 1)
    for admission in admitted:
        assert admission is not None
        admission.release()
    assert budget.open_sockets == 1
    for admission in quiet.pending.copy().values():
        admission.release()


async def test_refused_when_nothing_can_give_way() -> None:
    """Established connections are never displaced: without room a newcomer is refused."""
    budget = SocketBudget(total=2, reserved=1)
    limits = budget.listener("LIP")
    first = limits.admit(lambda: None)
    second = limits.admit(lambda: None)
    assert first is not None
    assert second is not None
    first.established()
    second.established()
    assert limits.admit(lambda: None) is None
    assert limits.counters["refused"] == 1
    first.release()
    first.release()  # harmless twice
    third = limits.admit(lambda: None)
    assert third is not None
    third.release()
    second.release()
    assert budget.open_sockets == 0


async def test_handshake_deadline() -> None:
    """A connection still in its handshake at the deadline is closed, and counted."""
    limits = SocketBudget().listener("LIP", handshake_deadline=0.01)
    expired = asyncio.Event()
    admission = limits.admit(expired.set)
    assert admission is not None
    assert admission.pending
    async with asyncio.timeout(5):
        await expired.wait()
    assert not admission.pending
    assert limits.counters["handshake_timeouts"] == 1


def test_bad_limits_are_refused() -> None:
    """Limits that cannot hold are a ValueError that names them."""
    with pytest.raises(ValueError, match="at least 1"):
        SocketBudget(total=0)
    budget = SocketBudget(total=3, reserved=2)
    budget.listener("LIP")
    with pytest.raises(ValueError, match="cannot reserve 2 for 2 listeners"):
        budget.listener("HTTP")
    with pytest.raises(ValueError, match="positive"):
        SocketBudget().listener("LIP", max_pending=0)


def test_idle_session_to_evict() -> None:
    """Only a session silent for longer than the eviction time is chosen, the one silent longest."""
    last = {"a": 100.0, "b": 10.0, "c": 50.0}
    assert idle_session_to_evict(last, last.__getitem__, 200.0, 180.0) == "b"
    assert idle_session_to_evict(last, last.__getitem__, 150.0, 180.0) is None
    assert idle_session_to_evict([], last.__getitem__, 150.0) is None


async def test_login_throttle_grows_and_summarises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each failure doubles the address's delay; the log gets one line, then a summary with the count."""
    caplog.set_level(logging.WARNING)
    throttle = LoginThrottle(
        "LIP",
        logging.getLogger("test.throttle"),
        base_delay=0.01,
        max_delay=0.04,
        log_interval=0.05,
    )
    assert throttle.delay("10.0.0.9") == 0
    for _ in range(4):
        throttle.failed("10.0.0.9")
    assert throttle.delay("10.0.0.9") == 0.04  # capped
    assert throttle.delay("10.0.0.8") == 0
    assert len(caplog.records) == 1
    assert "Failed LIP login from 10.0.0.9" in caplog.text
    await asyncio.sleep(
        0.1
    )  # the summary of the three others is logged at the end of the interval
    assert len(caplog.records) == 2
    assert "3 failed LIP logins from 10.0.0.9" in caplog.records[1].getMessage()
    await asyncio.sleep(0.06)  # a whole interval after the summary, however late it ran
    throttle.failed("10.0.0.9")
    assert len(caplog.records) == 3  # an interval passed: logged at once
    throttle.failed("10.0.0.9")
    throttle.succeeded(
        "10.0.0.9"
    )  # the one still unlogged is logged when the address is forgotten
    assert len(caplog.records) == 4
    assert throttle.delay("10.0.0.9") == 0
    throttle.succeeded("10.0.0.9")
    throttle.failed("10.0.0.7")
    throttle.failed("10.0.0.7")
    throttle.close()
    assert "1 failed LIP logins from 10.0.0.7" in caplog.records[-1].getMessage()


async def test_login_throttle_forgets() -> None:
    """An address is forgotten after its memory time, and beyond the number of addresses kept."""
    throttle = LoginThrottle(
        "LIP", logging.getLogger("test.throttle"), memory=0.01, max_addresses=2
    )
    throttle.failed("a")
    throttle.failed("b")
    throttle.failed("c")  # "a" is forgotten
    assert throttle.delay("a") == 0
    assert throttle.delay("c") > 0
    await asyncio.sleep(0.03)
    assert throttle.delay("c") == 0
    throttle.failed("b")  # forgotten by time, starts again
    assert throttle.delay("b") == throttle.delay("b")


async def test_address_log_summarises_by_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first event of an address is logged at once; the next ones in one line per interval, counted by cause."""
    caplog.set_level(logging.WARNING)
    log = AddressLog(
        "Refused test input", logging.getLogger("test.addresses"), log_interval=0.05
    )
    log.record("10.0.0.1", "malformed request")
    log.record("10.0.0.1", "malformed request")
    log.record("10.0.0.1", "line over 10 bytes")
    log.record("10.0.0.1", "malformed request")
    log.record("10.0.0.2", "malformed request")
    assert [record.getMessage() for record in caplog.records] == [
        "Refused test input from 10.0.0.1: malformed request",
        "Refused test input from 10.0.0.2: malformed request",
    ]
    assert log.count("10.0.0.1") == 4
    await asyncio.sleep(0.1)  # the summary is due at the end of the interval
    assert len(caplog.records) == 3
    assert caplog.records[2].getMessage() == (
        "Refused test input from 10.0.0.1: 3 in the last 0 s: "
        "2 × malformed request, 1 × line over 10 bytes"
    )
    log.close()
    assert len(caplog.records) == 3  # nothing was left to log
    assert log.count("10.0.0.1") == 0
