"""Pairing with a processor (LP20) through pylutron-caseta, with typed errors for the application.

`pylutron_caseta.pairing.async_pair` is the only public way to obtain a certificate from a real processor: it
presents the application certificate Lutron's processors trust, waits for the pairing button, sends a signing
request and checks the result with a ping on 8081. This module only turns its outcome into `LeapCertificates` and
its failures into `PairingTimeoutError`, `PairingRefusedError` or `PairingUnreachableError`.
"""

from __future__ import annotations

from collections.abc import Callable
import ssl

from pylutron_caseta.pairing import async_pair

from ..errors import PairingRefusedError, PairingTimeoutError, PairingUnreachableError
from .client import LeapCertificates


async def async_pair_processor(
    host: str, ready: Callable[[], None] | None = None
) -> LeapCertificates:
    """Pair with the processor at `host`: the client key and certificate and the processor's CA, as PEM text.

    `ready` is called once the processor is reached and waits for its pairing button (up to 180 s).

    Raises:
        PairingTimeoutError: nobody pressed the button in time, or the processor stopped answering.
        PairingRefusedError: the processor's certificate is not trusted, or it refused the request or the result.
        PairingUnreachableError: the processor's pairing port (8083) or LEAP port (8081) cannot be reached.

    """
    try:
        data = await async_pair(host, ready)
    except TimeoutError:
        raise PairingTimeoutError(
            f"{host} did not grant pairing in time: press the pairing button on the processor, then try again"
        ) from None
    except ssl.SSLError as err:  # before OSError, of which it is a kind
        raise PairingRefusedError(
            f"{host} refused the secure connection, or is not a Lutron processor: {err}"
        ) from None
    except OSError as err:
        raise PairingUnreachableError(f"Cannot reach {host}: {err}") from None
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        # pylutron-caseta reads the answers without checking them: a closed connection or a refusal ends here.
        raise PairingRefusedError(
            f"{host} ended the pairing without a certificate ({type(err).__name__}: {err})"
        ) from None
    return LeapCertificates(
        key_pem=data["key"], cert_pem=data["cert"], ca_pem=data["ca"]
    )
