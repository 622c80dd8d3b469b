"""Tests of the personnel service."""
