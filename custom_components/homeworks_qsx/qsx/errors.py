"""Exceptions of the library. Every one carries a message fit to show a user."""

from __future__ import annotations

from .const import IgnoredReason


def describe_cause(err: BaseException, timeout: float | None = None) -> str:
    """Name what went wrong: an exception's text, else what a time-out (of `timeout` s) or a bare exception means.

    Every error a user sees names its cause: `TimeoutError()` and many `OSError`s have an empty text.
    """
    if text := str(err):
        return text
    if isinstance(err, TimeoutError):
        return "no answer" if timeout is None else f"no answer within {timeout:g} s"
    return type(err).__name__


class QsxError(Exception):
    """Base of every error the library raises."""


class DescriptionError(QsxError):
    """A system description is invalid; `path` names the offending place (for example `modules[2].zones[1].amps`)."""

    def __init__(self, path: str, message: str) -> None:
        """Describe what is wrong where."""
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


class LimitError(DescriptionError):
    """The system would exceed a limit (P3, C7, M3, M4); nothing was changed. `path` names where."""


class UnknownObjectError(QsxError, KeyError):
    """No module, zone or output has this serial or integration id."""

    def __str__(self) -> str:
        """Plain message (KeyError would quote it)."""
        return str(self.args[0]) if self.args else ""


class CommandIgnoredError(QsxError):
    """The module ignored a command (C3, M7, M13, L2); `reason` says why."""

    def __init__(self, serial: str, reason: IgnoredReason) -> None:
        """Record which module ignored the command and why."""
        why = (
            "the processor reported the level unchanged without saying why"
            if reason is IgnoredReason.NOT_REPORTED
            else reason.value.replace("_", " ")
        )
        super().__init__(f"Module {serial} ignored the command: {why}")
        self.serial = serial
        self.reason = reason


class NotSupportedError(QsxError):
    """The backend cannot do this (for example: simulate a fault on a live processor)."""


class ConnectionFailedError(QsxError):
    """The processor could not be reached, or the connection was lost."""


class AuthenticationError(QsxError):
    """The processor rejected the credentials."""


class CommandTimeoutError(ConnectionFailedError):
    """The processor did not report the resulting state in time (the connection is not to be trusted)."""


class RequestRefusedError(QsxError):
    """The processor refused a request (LEAP `ExceptionResponse`, LP7): `status` (400, 404, 405, 500…) and `url`."""

    def __init__(self, url: str, status: int | None, message: str) -> None:
        """Record the refused URL, the status number (None if the reply had none) and the processor's message."""
        super().__init__(f"{url} refused ({status}): {message}")
        self.url = url
        self.status = status
        self.message = message


class ObjectNotFoundError(RequestRefusedError, UnknownObjectError):
    """LP7 `404 NotFound`: the processor has no object at this URL."""


class RequestNotSupportedError(RequestRefusedError, NotSupportedError):
    """LP7 `405 MethodNotAllowed`: the processor does not support this request."""


class PairingError(QsxError):
    """Pairing with a processor (LEAP, LP20) failed."""


class PairingTimeoutError(PairingError):
    """Nobody pressed the processor's pairing button in time (or the processor stopped answering)."""


class PairingRefusedError(PairingError):
    """The processor refused to pair (its certificate is not trusted, or it refused the request)."""


class PairingUnreachableError(PairingError):
    """The processor's pairing port could not be reached."""


class PairingNoAnswerError(PairingError):
    """The processor's pairing port took the connection (or the host stayed silent) but never answered it.

    Something listens on port 8083 that does not finish the secure handshake: not the processor, or a processor
    that hangs. Told apart from `PairingTimeoutError`, which comes only once the processor waited for its button.
    """


class InvalidDatabaseError(QsxError):
    """The project database (`DbXmlInfo.xml`) could not be read or parsed."""
