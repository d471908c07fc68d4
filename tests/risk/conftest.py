"""Fixtures of the overdue-risk tests: a mini city with a generated year of
dispatches, one per database for the module."""
