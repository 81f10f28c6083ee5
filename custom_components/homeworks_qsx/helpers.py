"""Commands to modules from entities and actions: refused early when they cannot work, library errors translated.

Every entity method and action that commands a module is decorated, so a refusal or a failure reads the same
whichever way the command came: `ServiceValidationError` when the request cannot be carried out as asked (the
module ignores commands now, or is not part of the system), `HomeAssistantError` when the processor failed.
Decorated methods take `self` positional-only (`self, /, **kwargs`), so that no keyword argument can clash with it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, Protocol

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .qsx import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    DeviceDescription,
    NotSupportedError,
    QsxError,
    UnknownObjectError,
)

if TYPE_CHECKING:
    from .runtime import HomeworksQsxRuntime


class CommandTarget(Protocol):
    """The device a command is for, with its entry's runtime: an entity of the device, or an action's target."""

    @property
    def runtime(self) -> HomeworksQsxRuntime:
        """The runtime of the device's config entry."""

    @property
    def serial(self) -> str:
        """The device's serial number."""


type ModuleCommand[T: CommandTarget, **P] = Callable[
    Concatenate[T, P], Coroutine[Any, Any, None]
]


def given_name(name: str, default: str) -> str | None:
    """Return the name the system description gives an output, or None for the library's default (translated then)."""
    return None if name.strip().casefold() in ("", default.casefold()) else name


def button_name(device: DeviceDescription, number: int) -> str | None:
    """Return what a keypad button is called: its engraving, or a name of its own; None for "Button <number>".

    None lets the entity's name be translated. An engraving may hold line breaks (LP36): they read as spaces.
    """
    try:
        button = device.input(number)
    except UnknownObjectError:
        return None
    if engraving := " ".join(button.engraving.split()):
        return engraving
    return given_name(button.name, f"Button {number}")


def _unknown_module(serial: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_module",
        translation_placeholders={"serial": serial},
    )


def _exception_handler[T: CommandTarget, **P](
    func: ModuleCommand[T, P], *, obeyed_only: bool
) -> ModuleCommand[T, P]:
    @wraps(func)
    async def handler(target: T, /, *args: P.args, **kwargs: P.kwargs) -> None:
        runtime = target.runtime
        backend = runtime.backend
        serial = target.serial
        try:
            state = backend.device_state(serial)
            name = backend.description.device(serial).name
        except UnknownObjectError as err:
            raise _unknown_module(serial) from err
        if obeyed_only and (reason := state.ignored_reason):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"ignored_{reason.value}",
                translation_placeholders={"module": name},
            )
        if not backend.connected:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="not_connected",
                translation_placeholders={"module": name},
            )
        try:
            await func(target, *args, **kwargs)
        except CommandIgnoredError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"ignored_{err.reason.value}",
                translation_placeholders={"module": name},
            ) from err
        except UnknownObjectError as err:  # removed while the command ran
            raise _unknown_module(serial) from err
        except NotSupportedError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_supported",
                translation_placeholders={"module": name, "error": str(err)},
            ) from err
        except AuthenticationError as err:
            runtime.entry.async_start_reauth(runtime.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="authentication_failed",
            ) from err
        except (CommandTimeoutError, ConnectionFailedError) as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"module": name, "error": str(err)},
            ) from err
        except QsxError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"module": name, "error": str(err)},
            ) from err

    return handler


def homeworks_qsx_exception_handler[T: CommandTarget, **P](
    func: ModuleCommand[T, P],
) -> ModuleCommand[T, P]:
    """Decorate a command to a module: refused before it is sent when the module would ignore it or is out of reach.

    Library errors become translated Home Assistant errors; a login the processor refuses starts reauthentication.
    """
    return _exception_handler(func, obeyed_only=True)


def simulation_exception_handler[T: CommandTarget, **P](
    func: ModuleCommand[T, P],
) -> ModuleCommand[T, P]:
    """Decorate the simulation of a physical condition at a module: as a command, but whatever the module's mode.

    A module in manual override, without power or without link still feels its wires change (that may end the
    mode), so nothing is refused for the mode.
    """
    return _exception_handler(func, obeyed_only=False)
