"""公众服务 — the citizens' side: reports from the public, following them,
"closed is not fixed", the public map."""
