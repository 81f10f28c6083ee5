"""Constants of the Lutron HomeWorks QSX integration."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "homeworks_qsx"
LOGGER: Final = logging.getLogger(__package__)

MANUFACTURER: Final = "Lutron"

# Config entry data.
CONF_BACKEND: Final = "backend"
CONF_MODEL: Final = "model"
CONF_MODULES_PER_LINK: Final = "modules_per_link"
CONF_LINK_1_MODULES: Final = "link_1_modules"
CONF_LINK_2_MODULES: Final = "link_2_modules"
CONF_DESCRIPTION_PATH: Final = "description_path"
CONF_PROCESSOR_SERIAL: Final = "processor_serial"
CONF_SERVE: Final = "serve"
CONF_LIP_PORT: Final = "lip_port"
CONF_HTTP_PORT: Final = "http_port"
# A LEAP entry's certificates from pairing (PEM text): the client key and certificate, and the processor's CA.
CONF_KEY_PEM: Final = "key_pem"
CONF_CERT_PEM: Final = "cert_pem"
CONF_CA_PEM: Final = "ca_pem"
# Config flow only: the user has certificates already (from an emulator's `issue-cert`), no pairing.
CONF_HAVE_CERTIFICATES: Final = "have_certificates"

# Options.
CONF_CCI_REPAIR_MINUTES: Final = "cci_repair_minutes"
CONF_LINK: Final = "link"
CONF_AREA: Final = "area"
CONF_MODULE: Final = "module"
CONF_CCO_TYPE: Final = "cco_type"
CONF_PULSE_SECONDS: Final = "pulse_seconds"

DEFAULT_NAME: Final = "HomeWorks QSX"
DEFAULT_LIP_PORT: Final = 23
DEFAULT_HTTP_PORT: Final = 80
DEFAULT_SERVE_HOST: Final = "127.0.0.1"
DEFAULT_SERVE_LIP_PORT: Final = 2323
DEFAULT_SERVE_HTTP_PORT: Final = 8080
DEFAULT_USERNAME: Final = "lutron"
DEFAULT_PASSWORD: Final = "integration"
DEFAULT_MODULES_PER_LINK: Final = 4
DEFAULT_CCI_REPAIR_MINUTES: Final = 10

# Emulated state is written at most this long after a change.
SAVE_DELAY_SECONDS: Final = 1.0
STORAGE_VERSION: Final = 1

ISSUE_CCI_OPEN: Final = "cci_open"
ISSUE_DATABASE_CHANGED: Final = "database_changed"

# Service actions and their fields.
ATTR_DEVICE_ID: Final = "device_id"
ATTR_OPEN: Final = "open"
ATTR_BUTTON: Final = "button"
ATTR_POWERED: Final = "powered"
ATTR_UP: Final = "up"
ATTR_INSTALLED: Final = "installed"
ATTR_TEMPERATURE: Final = "temperature"
ATTR_DURATION: Final = "duration"
ATTR_ENABLED: Final = "enabled"
ATTR_LIMIT: Final = "limit"


class BackendType(StrEnum):
    """What stands behind a config entry."""

    EMULATED = "emulated"
    LEAP = "leap"  # a live processor over LEAP (paired)
    LIVE = "live"  # a live processor over LIP (telnet integration)
