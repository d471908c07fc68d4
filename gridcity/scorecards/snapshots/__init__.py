"""Snapshots (layer 3 of the scorecards): frozen months and their versions
(``freeze.py``), and the public interface read by everything above
(``services.py``: a month frozen if frozen, else live). Imports only scoring,
counting and the models."""
