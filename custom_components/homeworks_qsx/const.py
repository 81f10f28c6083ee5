"""Constants of the Lutron HomeWorks QSX integration."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

from .qsx import DEFAULT_HOST
from .qsx.lip import EMULATOR_HTTP_PORT, EMULATOR_LIP_PORT, HTTP_PORT, LIP_PORT

DOMAIN: Final = "homeworks_qsx"
LOGGER: Final = logging.getLogger(__package__)

MANUFACTURER: Final = "Lutron"
# Shown with the model number: "HomeWorks QSX processor (HQP7-2)".
PROCESSOR_MODEL_NAME: Final = "HomeWorks QSX processor"
MODULE_MODEL_NAME: Final = "Switching power module"
# Devices of the other kinds, beside their model number (a keypad's and a sensor's by its LEAP type, LP35, LP43).
DIMMING_MODULE_MODEL_NAME: Final = "Dimming power module"
SHADE_MODEL_NAME: Final = "Shade"
KEYPAD_MODEL_NAME: Final = "Keypad"
OCCUPANCY_SENSOR_MODEL_NAME: Final = "Occupancy sensor"
TIMECLOCK_MODEL_NAME: Final = "Timeclock"

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
# Serving an emulated system: LIP (with its HTTP database) and/or LEAP (with its pairing port).
CONF_SERVE_LIP: Final = "serve_lip"
CONF_SERVE_LEAP: Final = "serve_leap"
CONF_LEAP_PORT: Final = "leap_port"
CONF_PAIRING_PORT: Final = "pairing_port"
CONF_LEAP_PROFILE: Final = "leap_profile"
# An emulated project of several processors: the address each other processor is served on ({serial: host});
# a processor not given one is served on the first's address, its ports moved by `PORT_STEP` per place.
CONF_PROCESSOR_HOSTS: Final = "processor_hosts"
# A LEAP entry's certificates from pairing (PEM text): the client key and certificate, and the processor's CA.
CONF_KEY_PEM: Final = "key_pem"
CONF_CERT_PEM: Final = "cert_pem"
CONF_CA_PEM: Final = "ca_pem"
# Other processors of the entry's project to fail over to (LP54), in order: LEAP `{"serial", "host", "key_pem",
# "cert_pem", "ca_pem"}` (each processor pairs on its own and has its own CA), or LIP `{"serial", "host"}`.
CONF_FAILOVER: Final = "failover"
# The serials of every processor of the entry's project, refreshed at each set-up: a zeroconf announcement of
# another processor of the project is recognised even while the entry is not loaded.
CONF_PROJECT_PROCESSORS: Final = "project_processors"
CONF_SERIAL: Final = "serial"
# Config flow only: the user has certificates already (from an emulator's `issue-cert`), no pairing.
CONF_HAVE_CERTIFICATES: Final = "have_certificates"

# Options.
CONF_CCI_REPAIR_MINUTES: Final = "cci_repair_minutes"
CONF_LINK: Final = "link"
CONF_AREA: Final = "area"
CONF_MODULE: Final = "module"
CONF_CCO_TYPE: Final = "cco_type"
CONF_PULSE_SECONDS: Final = "pulse_seconds"
CONF_ZONE_WATTS: Final = "zone_watts"  # {module serial: {zone number: watts}}

DEFAULT_NAME: Final = "HomeWorks QSX"
# Ports and the listen address are the library's: one definition for the command line and Home Assistant.
DEFAULT_LIP_PORT: Final = LIP_PORT
DEFAULT_HTTP_PORT: Final = HTTP_PORT
DEFAULT_SERVE_HOST: Final = DEFAULT_HOST
DEFAULT_SERVE_LIP_PORT: Final = EMULATOR_LIP_PORT
DEFAULT_SERVE_HTTP_PORT: Final = EMULATOR_HTTP_PORT
DEFAULT_PASSWORD: Final = "integration"
DEFAULT_MODULES_PER_LINK: Final = 4
DEFAULT_CCI_REPAIR_MINUTES: Final = 10

# Pressing the emulated processor's pairing button: how long the window stays open (LP20: pylutron-caseta waits
# 180 s for the button), and at most (a window left open lets anyone on the network pair).
DEFAULT_PAIRING_WINDOW_SECONDS: Final = 180
MAX_PAIRING_WINDOW_SECONDS: Final = 900

STORAGE_VERSION: Final = 1
# Keys of an emulated system's stored state: the emulator's export, and its LEAP CA (LP4; never shown or logged).
STORED_EMULATOR: Final = "emulator"
STORED_LEAP_CREDENTIALS: Final = "leap_credentials"
# The CAs of the project's other processors (each processor pairs on its own, LP53): {serial: CA}.
STORED_PROCESSOR_LEAP_CREDENTIALS: Final = "processor_leap_credentials"

# Fired on Home Assistant's bus for every keypad button event (LP38), as lutron_caseta fires its own; the device
# triggers of keypads listen to it. Data: the keypad's device id and serial, the button's number, the action.
EVENT_KEYPAD_BUTTON: Final = f"{DOMAIN}_button_event"
ATTR_SERIAL: Final = "serial"
ATTR_ACTION: Final = "action"

ISSUE_CCI_OPEN: Final = "cci_open"
ISSUE_DATABASE_CHANGED: Final = "database_changed"
ISSUE_LUTRON_CASETA: Final = (
    "lutron_caseta"  # core lutron_caseta shows the same processor
)
ISSUE_FAILOVER_IN_USE: Final = "failover_in_use"

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
ATTR_FOLDER: Final = "folder"
ATTR_HOST: Final = "host"
ATTR_GESTURE: Final = "gesture"
ATTR_OCCUPIED: Final = "occupied"
ATTR_LEVEL: Final = "level"
ATTR_OUTPUT: Final = "output"
ATTR_ONLINE: Final = "online"


class BackendType(StrEnum):
    """What stands behind a config entry."""

    EMULATED = "emulated"
    LEAP = "leap"  # a live processor over LEAP (paired)
    # A live processor over LIP (telnet integration). Entries keep storing "live", the value this choice had
    # when it was the only live one: stored entries read as they were, no migration.
    LIP = "live"
