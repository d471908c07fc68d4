"""Plumbing shared by every domain package: settings, geometry, errors, auth."""
