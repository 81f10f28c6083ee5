"""Development tools: a development Home Assistant, and the check against the newest Home Assistant release."""
