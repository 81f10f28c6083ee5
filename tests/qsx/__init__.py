"""Tests of the Lutron HomeWorks QSX integration and library."""
