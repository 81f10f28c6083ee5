"""The emulator's certificate authority and certificates for LEAP (LP1, LP4, LP21), made with `cryptography`.

`LeapCredentials` holds the CA and the server's key and certificate. It is created once (`generate`) and kept with
the emulator's state: the command line stores it in a companion file beside its `--state` file
(`companion_path`, mode 0600); another host (Home Assistant) stores `to_dict()` in its own storage and passes it
back through `from_dict()`. Keys are EC P-256; the CA's key only leaves this object through `to_dict()` (for that
store) and is never logged.

Each processor of a project has its own CA (LP53): a certificate paired with one processor opens only that
processor's LEAP server. `load_or_create_project` and `project_credentials_to_dict`/`_from_dict` keep every
processor's credentials in one store, read by serial.

The server's TLS context loads the chain as a client's does (`client_tls.load_chain`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import dataclass
import datetime as dt
import json
from pathlib import Path
import ssl
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ...errors import describe_cause
from ...leap.client_tls import client_context, load_chain, write_private

CREDENTIALS_FORMAT: Final = 1
CA_VALIDITY: Final = dt.timedelta(days=30 * 365)
SERVER_VALIDITY: Final = dt.timedelta(days=30 * 365)
CLIENT_VALIDITY: Final = dt.timedelta(days=10 * 365)  # LP21
CLOCK_SKEW: Final = dt.timedelta(minutes=5)  # certificates start a little in the past
MIN_RSA_BITS: Final = 2048  # LP21
MAX_CSR_BYTES: Final = 16 * 1024
CA_NAME: Final = "HomeWorks QSX emulator CA"
SERVER_NAME: Final = "HomeWorks QSX emulator"
DEFAULT_CLIENT_NAME: Final = "homeworks_qsx client"
MAX_COMMON_NAME: Final = (
    64  # X.509's upper bound of a common name; longer names are cut
)
COMPANION_SUFFIX: Final = ".leap.json"
# The three files of a client, named as Home Assistant's lutron_caseta names them: lutron_caseta-<id>-<kind>.pem.
CLIENT_FILE_KINDS: Final = ("key", "cert", "ca")
CLIENT_FILE_TEMPLATE: Final = "lutron_caseta-{}-{}.pem"


class CertificateRequestError(ValueError):
    """A certificate signing request that LP21 refuses (the message says why)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name[:MAX_COMMON_NAME])]
    )


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: CertificateIssuerPrivateKeyTypes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _cert_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _same_public_key(first: Any, second: Any) -> bool:
    """Whether two public keys are the same key (compared as their DER encoding)."""
    encoding, key_format = (
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return bool(
        first.public_bytes(encoding, key_format)
        == second.public_bytes(encoding, key_format)
    )


def _check_public_key(key: Any) -> None:
    """LP21: RSA of 2048 bits or more, or EC P-256."""
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CertificateRequestError(
                f"An RSA key of {key.key_size} bits is too short (at least {MIN_RSA_BITS})"
            )
        return
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise CertificateRequestError(
                f"The EC curve {key.curve.name} is not supported (P-256 only)"
            )
        return
    raise CertificateRequestError(
        f"A {type(key).__name__} key is not supported (RSA 2048+ or EC P-256)"
    )


@dataclass(frozen=True, slots=True)
class LeapCredentials:
    """The emulator's CA (key and certificate) and the LEAP server's key and certificate, as PEM."""

    ca_key_pem: str
    ca_cert_pem: str
    server_key_pem: str
    server_cert_pem: str

    def __repr__(self) -> str:
        """Name the CA without showing any key."""
        return f"LeapCredentials(ca={self.ca_certificate.subject.rfc4514_string()!r})"

    @classmethod
    def generate(cls, processor: str | None = None) -> LeapCredentials:
        """Create a new CA and a server certificate signed by it (LP4); `processor`'s serial names the CA (LP53)."""
        ca_key = _new_key()
        now = _now()
        ca_name = CA_NAME if processor is None else f"{CA_NAME} {processor}"
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(ca_name))
            .issuer_name(_name(ca_name))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        server_key = _new_key()
        server_cert = _issue(
            ca_key,
            ca_cert,
            _name(SERVER_NAME),
            server_key.public_key(),
            SERVER_VALIDITY,
            ExtendedKeyUsageOID.SERVER_AUTH,
        )
        return cls(
            _key_pem(ca_key),
            _cert_pem(ca_cert),
            _key_pem(server_key),
            _cert_pem(server_cert),
        )

    # Storage.

    def to_dict(self) -> dict[str, Any]:
        """Return the credentials as JSON-serialisable data, for the emulator's own state store only."""
        return {
            "format": CREDENTIALS_FORMAT,
            "ca_key": self.ca_key_pem,
            "ca_certificate": self.ca_cert_pem,
            "server_key": self.server_key_pem,
            "server_certificate": self.server_cert_pem,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LeapCredentials:
        """Read `to_dict()` data; `ValueError` names what is wrong.

        Refused: a field missing or not PEM, a server certificate the CA did not sign, a key that is not its
        certificate's (it would sign certificates no one can verify).
        """
        if data.get("format") != CREDENTIALS_FORMAT:
            raise ValueError(f"Unknown LEAP credentials format {data.get('format')!r}")
        fields = ("ca_key", "ca_certificate", "server_key", "server_certificate")
        missing = [field for field in fields if not isinstance(data.get(field), str)]
        if missing:
            raise ValueError(f"LEAP credentials: {', '.join(missing)} missing")
        credentials = cls(*(str(data[field]) for field in fields))
        try:
            ca = credentials.ca_certificate
            server = x509.load_pem_x509_certificate(
                credentials.server_cert_pem.encode()
            )
            ca_key = serialization.load_pem_private_key(
                credentials.ca_key_pem.encode(), password=None
            )
            server_key = serialization.load_pem_private_key(
                credentials.server_key_pem.encode(), password=None
            )
            server.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature) as err:
            raise ValueError(
                f"LEAP credentials are not usable: {describe_cause(err)}"
            ) from None
        # A key that is not its certificate's would sign certificates no client or server can verify.
        for what, key, certificate in (
            ("the CA's key does not match the CA certificate", ca_key, ca),
            ("the server's key does not match its certificate", server_key, server),
        ):
            if not _same_public_key(key.public_key(), certificate.public_key()):
                raise ValueError(f"LEAP credentials are not usable: {what}")
        return credentials

    @staticmethod
    def companion_path(state_path: Path) -> Path:
        """Where the command line keeps the credentials of the emulator whose state is in `state_path`."""
        return state_path.with_name(state_path.name + COMPANION_SUFFIX)

    @classmethod
    def load_or_create(cls, path: Path) -> tuple[LeapCredentials, bool]:
        """Read the credentials in `path`, or create and save them there; returns them and whether they are new."""
        if path.exists():
            data = _read_object(path)
            try:
                return cls.from_dict(data), False
            except ValueError as err:
                raise ValueError(f"{path}: {err}") from None
        credentials = cls.generate()
        credentials.save(path)
        return credentials, True

    def save(self, path: Path) -> None:
        """Write the credentials to `path` (owner-only permissions, atomically).

        `OSError` naming `path` and the cause when it cannot be written (a read-only or full folder); nothing is
        left behind then.
        """
        _write_object(path, self.to_dict())

    # Certificates.

    @property
    def ca_certificate(self) -> x509.Certificate:
        """The CA's certificate."""
        return x509.load_pem_x509_certificate(self.ca_cert_pem.encode())

    def _ca_key(self) -> CertificateIssuerPrivateKeyTypes:
        key = serialization.load_pem_private_key(
            self.ca_key_pem.encode(), password=None
        )
        assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
        return key

    def sign_request(
        self, csr_pem: str | bytes, common_name: str = DEFAULT_CLIENT_NAME
    ) -> str:
        """LP21: sign a client's certificate signing request for 10 years; return the certificate as PEM.

        Only the request's key is taken: the subject is `common_name`, chosen by the server (what a request names
        itself, control characters, the CA's own name, hundreds of attributes, is not copied), and no extension
        of the request is copied either.

        Raises `CertificateRequestError` for a request that is not PEM, whose signature is wrong, or whose key is
        neither RSA of 2048 bits or more nor EC P-256.
        """
        data = csr_pem.encode() if isinstance(csr_pem, str) else csr_pem
        if len(data) > MAX_CSR_BYTES:
            raise CertificateRequestError("The certificate signing request is too long")
        try:
            request = x509.load_pem_x509_csr(data)
        except ValueError as err:
            raise CertificateRequestError(
                f"The certificate signing request is not valid PEM: {err}"
            ) from None
        if not request.is_signature_valid:
            raise CertificateRequestError(
                "The certificate signing request's signature is wrong"
            )
        key = request.public_key()
        _check_public_key(key)
        certificate = _issue(
            self._ca_key(),
            self.ca_certificate,
            _name(common_name),
            key,
            CLIENT_VALIDITY,
            ExtendedKeyUsageOID.CLIENT_AUTH,
        )
        return _cert_pem(certificate)

    def issue_client(self, common_name: str = DEFAULT_CLIENT_NAME) -> tuple[str, str]:
        """Create a client key and its certificate (LP21's direct issue); return (key PEM, certificate PEM)."""
        key = _new_key()
        certificate = _issue(
            self._ca_key(),
            self.ca_certificate,
            _name(common_name),
            key.public_key(),
            CLIENT_VALIDITY,
            ExtendedKeyUsageOID.CLIENT_AUTH,
        )
        return _key_pem(key), _cert_pem(certificate)

    @staticmethod
    def client_file_paths(folder: Path, file_id: str) -> dict[str, Path]:
        """Return where `write_client_files` writes, by kind (key, cert, ca)."""
        return {
            kind: folder / CLIENT_FILE_TEMPLATE.format(file_id, kind)
            for kind in CLIENT_FILE_KINDS
        }

    def write_client_files(self, folder: Path, file_id: str) -> dict[str, Path]:
        """Issue a client certificate into `folder` as lutron_caseta's three files; return their paths by kind.

        The folder is created if needed; the key file is owner-only. `file_id` is the `<id>` of the names (Home
        Assistant's lutron_caseta uses the processor's host). `OSError` when a file cannot be written.
        """
        key_pem, cert_pem = self.issue_client(f"homeworks_qsx {file_id}")
        folder.mkdir(parents=True, exist_ok=True)
        paths = self.client_file_paths(folder, file_id)
        write_private(paths["key"], key_pem)
        paths["cert"].write_text(cert_pem, encoding="ascii")
        paths["ca"].write_text(self.ca_cert_pem, encoding="ascii")
        return paths

    # TLS.

    def server_context(
        self, *, require_client_certificate: bool = True
    ) -> ssl.SSLContext:
        """Return the TLS context of a server with this certificate (LP1: TLS 1.2 or newer).

        With `require_client_certificate` (LEAP, 8081) a client must present a certificate signed by this CA, checked
        during the handshake. Without it (pairing, 8083) no client certificate is asked for.
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        load_chain(
            context, self.server_key_pem, self.server_cert_pem + self.ca_cert_pem
        )
        if require_client_certificate:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cadata=self.ca_cert_pem)
        else:
            context.verify_mode = ssl.CERT_NONE
        return context

    def client_context(self, key_pem: str, cert_pem: str) -> ssl.SSLContext:
        """Return a client's TLS context with this key and certificate, trusting this CA (for tests and tools)."""
        return client_context(key_pem, cert_pem, self.ca_cert_pem)


# Several processors (LP53): each has its own CA. One store holds them all: the first processor's as one processor's
# store holds it (so a store written before a project had several processors loads unchanged), the others by serial
# under `PROCESSORS_KEY`.
PROCESSORS_KEY: Final = "processors"


def project_credentials_to_dict(
    credentials: Mapping[str, LeapCredentials], first: str
) -> dict[str, Any]:
    """Return every processor's credentials (serial → credentials) as one object; `first` is the first's serial."""
    data = credentials[first].to_dict()
    others = {
        serial: item.to_dict()
        for serial, item in credentials.items()
        if serial != first
    }
    if others:
        data[PROCESSORS_KEY] = others
    return data


def project_credentials_from_dict(
    data: Mapping[str, Any], first: str
) -> dict[str, LeapCredentials]:
    """Read `project_credentials_to_dict` data (or one processor's `to_dict`, the first's); `ValueError` says why."""
    credentials = {first: LeapCredentials.from_dict(data)}
    others = data.get(PROCESSORS_KEY, {})
    items = others.items() if isinstance(others, Mapping) else None
    if items is None:
        raise ValueError(f"LEAP credentials: {PROCESSORS_KEY} is not an object")
    for serial, item in items:
        try:
            credentials[str(serial)] = LeapCredentials.from_dict(
                item if isinstance(item, Mapping) else {}
            )
        except ValueError as err:
            raise ValueError(f"processor {serial}: {err}") from None
    return credentials


def load_or_create_project(
    path: Path, serials: Sequence[str]
) -> tuple[dict[str, LeapCredentials], bool]:
    """Read the credentials of every processor in `serials` (the first first) from `path`, creating what is missing.

    Returns them (serial → credentials) and whether any was created (the file is then written). `ValueError` naming
    `path` for a file that cannot be read; `OSError` when it cannot be written.
    """
    first = serials[0]
    credentials: dict[str, LeapCredentials] = {}
    if path.exists():
        try:
            credentials = project_credentials_from_dict(_read_object(path), first)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
    created = False
    for serial in serials:
        if serial not in credentials:
            credentials[serial] = LeapCredentials.generate(
                None if serial == first else serial
            )
            created = True
    if created:
        _write_object(path, project_credentials_to_dict(credentials, first))
    # The file may also hold processors this system does not have (one served from it before): kept, not returned.
    return {serial: credentials[serial] for serial in serials}, created


def _read_object(path: Path) -> Mapping[str, Any]:
    """Read a JSON object from `path`; `ValueError` naming `path` and the cause."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: cannot read the LEAP credentials: {err}") from None
    if isinstance(data, dict):
        return data
    raise ValueError(f"{path}: the LEAP credentials are not an object")


def _write_object(path: Path, data: Mapping[str, Any]) -> None:
    """Write `data` as JSON to `path` (owner-only permissions, atomically); `OSError` naming `path` and the cause."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        write_private(temporary, json.dumps(data, indent=1))
        temporary.replace(path)
    except OSError as err:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise OSError(
            f"{path}: cannot write the LEAP credentials: {err.strerror or describe_cause(err)}"
        ) from None


def _issue(  # noqa: PLR0917
    ca_key: CertificateIssuerPrivateKeyTypes,
    ca_cert: x509.Certificate,
    subject: x509.Name,
    public_key: Any,
    validity: dt.timedelta,
    usage: x509.ObjectIdentifier,
) -> x509.Certificate:
    """Sign an end-entity certificate for `public_key`."""
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
