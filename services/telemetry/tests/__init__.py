"""Tests of the telemetry service."""
