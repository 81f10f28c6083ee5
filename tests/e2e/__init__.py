"""End-to-end tests: Home Assistant's frontend in a real browser."""
