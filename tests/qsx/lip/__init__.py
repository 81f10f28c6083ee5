"""Tests of the Lutron Integration Protocol: lines, database, server, client."""
