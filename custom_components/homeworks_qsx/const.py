"""Constants of the Lutron HomeWorks QSX integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "homeworks_qsx"
LOGGER: Final = logging.getLogger(__package__)
