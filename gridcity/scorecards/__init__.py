"""Scorecards (绩效评价) and the sanitation contest, laid out in layers that
import only downward (tests/core/test_import_layers.py checks it):

- ``models.py`` — the tables; below everything;
- ``counting/`` — facts from the case history by DOMAIN.md §7.1: the tiers
  and counts, a month's counts per subject, the cases behind each count;
- ``scoring/`` — indicator definitions and formulas, scores, grades, ranks,
  the chain of command, the contest, the row and table classes;
- ``snapshots/`` — frozen months and their versions, and ``services.py``,
  the public interface the layer above (and the tests) call;
- ``presentation/`` — pages, exports, the JSON API and its OpenAPI rows, CLI.
"""
