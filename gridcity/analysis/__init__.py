"""Decision support (决策建议, issue 20): hotspots — space-time clusters of
cases — and recurring problems (反复发生) read from the case history, for the
page /analysis/, its JSON / GeoJSON / XLSX exports and the scorecards'
drill-down. See :mod:`gridcity.analysis.hotspots` and
:mod:`gridcity.analysis.recurrences` for the rules."""
