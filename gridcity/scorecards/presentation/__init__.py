"""Presentation (layer 4 of the scorecards): the managers' pages, the
exports, the JSON API and its OpenAPI rows, the CLI. Nothing below imports it."""
