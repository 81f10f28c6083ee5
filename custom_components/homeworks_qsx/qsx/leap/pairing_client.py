"""Pairing with a processor (LP20) through pylutron-caseta, with typed errors for the application.

`pylutron_caseta.pairing.async_pair` is the only public way to obtain a certificate from a real processor: it
presents the application certificate Lutron's processors trust, waits for the pairing button, sends a signing
request and checks the result with a ping on 8081. This module only turns its outcome into `LeapCertificates` and
its failures into `PairingTimeoutError`, `PairingNoAnswerError`, `PairingRefusedError` or
`PairingUnreachableError`. A time-out before the processor was reached (pylutron-caseta's `ready` call) is a pairing
port that never answered; only one after it is a button nobody pressed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import ssl
from typing import Final

from pylutron_caseta import pairing as _pylutron_pairing
from pylutron_caseta.pairing import async_pair

from ..errors import (
    PairingNoAnswerError,
    PairingRefusedError,
    PairingTimeoutError,
    PairingUnreachableError,
    describe_cause,
)
from .client import LeapCertificates
from .protocol import PAIRING_PORT

# pylutron-caseta waits up to 180 s for the button, then up to 10 s for each answer.
PAIRING_TIMEOUT: Final = 200.0


def button_wait() -> float:
    """Seconds a processor, once reached, is given for its pairing button (pylutron-caseta's wait)."""
    return float(_pylutron_pairing.BUTTON_PRESS_TIMEOUT)


def connect_wait() -> float:
    """Seconds the pairing port is given to take the connection and finish the secure handshake."""
    return float(_pylutron_pairing.SOCKET_TIMEOUT)


async def async_pair_processor(
    host: str,
    ready: Callable[[], None] | None = None,
    *,
    timeout: float = PAIRING_TIMEOUT,
) -> LeapCertificates:
    """Pair with the processor at `host`: the client key and certificate and the processor's CA, as PEM text.

    `ready` is called once the processor is reached and waits for its pairing button (for `button_wait()`
    seconds); the whole pairing may take up to `timeout` seconds.

    Raises:
        PairingNoAnswerError: the pairing port did not finish the secure handshake in time (nothing was reached).
        PairingTimeoutError: nobody pressed the button in time, or the processor stopped answering.
        PairingRefusedError: the processor's certificate is not trusted, or it refused the request or the result.
        PairingUnreachableError: the processor's pairing port (8083) or LEAP port (8081) cannot be reached.

    """
    reached = False

    def processor_waits() -> None:
        nonlocal reached
        reached = True
        if ready is not None:
            ready()

    try:
        async with asyncio.timeout(timeout):
            data = await async_pair(host, processor_waits)
    except TimeoutError:
        if not reached:
            raise PairingNoAnswerError(
                f"{host} did not answer on its pairing port {PAIRING_PORT} within {connect_wait():g} s"
            ) from None
        raise PairingTimeoutError(
            f"{host} did not grant pairing in time: press the pairing button on the processor, then try again"
        ) from None
    except ssl.SSLError as err:  # before OSError, of which it is a kind
        raise PairingRefusedError(
            f"{host} refused the secure connection, or is not a Lutron processor: {describe_cause(err)}"
        ) from None
    except OSError as err:
        raise PairingUnreachableError(
            f"Cannot reach {host}: {describe_cause(err)}"
        ) from None
    except AttributeError:
        # pylutron-caseta reads the answers without checking them: a connection closed while it waits ends here.
        raise PairingTimeoutError(
            f"{host} closed the pairing connection before its pairing button was pressed"
        ) from None
    except (KeyError, TypeError, ValueError) as err:
        # An answer without a certificate: the processor refused the request.
        raise PairingRefusedError(
            f"{host} ended the pairing without a certificate ({type(err).__name__}: {describe_cause(err)})"
        ) from None
    return LeapCertificates(
        key_pem=data["key"], cert_pem=data["cert"], ca_pem=data["ca"]
    )
