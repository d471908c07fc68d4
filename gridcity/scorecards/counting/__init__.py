"""Counting (layer 1 of the scorecards): facts from the case history by the
counting rules of DOMAIN.md §7.1 — the tiers and counts (``counts.py``), a
month's counts for every subject and the cases behind each (``engine.py``).
Imports nothing above it."""
