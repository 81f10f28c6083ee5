"""A LEAP client's TLS context from the PEM text pairing gives (LP1), and private files for keys.

The standard library's `ssl` loads certificates and keys only from files: `load_chain` writes them to a private
temporary directory just long enough to load them (the emulator's servers load theirs the same way).
"""

from __future__ import annotations

import os
from pathlib import Path
import ssl
import tempfile


def write_private(path: Path, text: str) -> None:
    """Write `text` (a key, or what holds one) to `path`, readable by its owner only from the start."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def load_chain(context: ssl.SSLContext, key_pem: str, chain_pem: str) -> None:
    """Load a key and its certificate chain, given as PEM text, into `context`.

    The standard library's `ssl` loads them only from files: they are written to a private temporary directory
    (the key owner-only) just long enough to load them, then removed.
    """
    with tempfile.TemporaryDirectory(prefix="qsx-leap-") as folder:
        key_file = Path(folder) / "key.pem"
        cert_file = Path(folder) / "chain.pem"
        write_private(key_file, key_pem)
        cert_file.write_text(chain_pem, encoding="ascii")
        context.load_cert_chain(cert_file, key_file)


def client_context(key_pem: str, cert_pem: str, ca_pem: str) -> ssl.SSLContext:
    """Return a LEAP client's TLS context (LP1) as pylutron-caseta builds it: TLS 1.2 or newer, no host name check.

    `ssl.SSLError` or `ValueError` when the PEM text is not a usable key, certificate or CA.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False  # LP1: the processor's certificate names no host
    context.load_verify_locations(cadata=ca_pem)
    load_chain(context, key_pem, cert_pem)
    return context
