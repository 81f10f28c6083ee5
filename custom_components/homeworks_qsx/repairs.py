"""Repair flows of the HomeWorks QSX integration."""

from __future__ import annotations

from typing import override

from homeassistant.components.repairs import (
    ConfirmRepairFlow,
    RepairsFlow,
    RepairsFlowResult,
)
from homeassistant.core import HomeAssistant

from .const import ISSUE_DATABASE_CHANGED


class DatabaseChangedRepairFlow(ConfirmRepairFlow):
    """Reload a live system whose processor database changed, once the user confirms."""

    def __init__(self, entry_id: str) -> None:
        """Remember which config entry to reload."""
        super().__init__()
        self.entry_id = entry_id

    @override
    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Reload the entry after confirmation; the issue is raised again if the database still differs."""
        if user_input is not None and (
            self.hass.config_entries.async_get_entry(self.entry_id) is not None
        ):
            self.hass.config_entries.async_schedule_reload(self.entry_id)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Create the flow that fixes issue `issue_id` (the database issue is the only fixable one)."""
    assert issue_id.startswith(ISSUE_DATABASE_CHANGED)
    assert data is not None
    return DatabaseChangedRepairFlow(str(data["entry_id"]))
