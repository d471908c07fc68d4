"""热线 / 公众受理 — the operators' intake of calls, visits and letters."""
