"""The application's version (in the OpenAPI document and in backups' manifests)."""

__version__ = "0.1.0"
