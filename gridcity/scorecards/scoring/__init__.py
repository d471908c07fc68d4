"""Scoring (layer 2 of the scorecards): indicator definitions and formulas
(``indicators.py``), scores, grades, ranks and the chain of command
(``scores.py``, ``figures.py``), the sanitation contest (``contest.py``) and
the tables they make (``tables.py``). Imports only counting and the models."""
