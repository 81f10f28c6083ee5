"""Removing a registration whose list was emptied elsewhere (a coordinator clears its listeners at shutdown)."""

from __future__ import annotations

from custom_components.homeworks_qsx.qsx.events import make_unsubscribe


def test_unsubscribe_after_the_list_was_cleared() -> None:
    """The remover finds nothing to remove, changes nothing, and stays harmless."""
    calls: list[int] = []
    listeners = [calls.append]
    remove = make_unsubscribe(listeners, listeners[0])
    listeners.clear()
    other = calls.append
    listeners.append(other)
    remove()
    remove()
    assert listeners == [other]
