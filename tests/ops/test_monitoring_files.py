"""deploy/prometheus.yml, alerts.yml and grafana-dashboard.json stay in step
with docker-compose.yml and with the metrics the processes expose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = ("", "_total", "_bucket", "_count", "_sum", "_created")


def load(name: str):
    text = (ROOT / name).read_text()
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def exposed_families(client) -> set[str]:
    text = client.get("/metrics").get_data(as_text=True)
    return {family.name for family in text_string_to_metric_families(text)}


def referenced(expressions: list[str]) -> set[str]:
    return {name for expr in expressions for name in re.findall(r"\bgridcity_[a-z_]+", expr)}


def is_exposed(name: str, families: set[str]) -> bool:
    return any(
        name.endswith(suffix) and name.removesuffix(suffix) in families for suffix in SUFFIXES if suffix
    ) or (name in families)


def test_prometheus_scrapes_every_process_of_the_compose_file_with_its_token():
    compose = load("docker-compose.yml")["services"]
    config = load("deploy/prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    web = [name for name, service in compose.items() if "gunicorn" in service.get("command", [])]
    assert sorted(t for t in jobs["gridcity-web"]["static_configs"][0]["targets"]) == sorted(
        f"{name}:8000" for name in web
    )
    scheduler_env = compose["scheduler"]["environment"]
    port = scheduler_env["GRIDCITY_SCHEDULER_METRICS_PORT"]
    assert jobs["gridcity-scheduler"]["static_configs"][0]["targets"] == [f"scheduler:{port}"]
    for job in jobs.values():
        assert job["authorization"]["credentials"] == scheduler_env["GRIDCITY_METRICS_TOKEN"]
    mounted = " ".join(compose["prometheus"]["volumes"])
    assert all(path in mounted for path in config["rule_files"])


def test_the_alerts_cover_the_issue_and_name_only_exposed_metrics(client):
    rules = [rule for group in load("deploy/alerts.yml")["groups"] for rule in group["rules"]]
    names = {rule["alert"] for rule in rules}
    assert {
        "GridCityOverdueSpike",
        "GridCityNoSweeps",
        "GridCityHigh5xxRate",
        "GridCitySocketsDropped",
    } <= names
    families = exposed_families(client)
    used = referenced([rule["expr"] for rule in rules])
    assert used and all(is_exposed(name, families) for name in used), sorted(used)


def test_the_dashboard_names_only_exposed_metrics(client):
    dashboard = load("deploy/grafana-dashboard.json")
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    families = exposed_families(client)
    used = referenced(expressions)
    assert len(used) >= 10 and all(is_exposed(name, families) for name in used), sorted(used)
