"""/healthz and /readyz (issue #19 item 1): the proxy and the orchestrator
see a process that cannot reach its database as unready, and ready again
once the database is back."""

from __future__ import annotations

from sqlalchemy import text

from gridcity.core.settings import Settings
from gridcity.extensions import db
from gridcity.ops.health import _redis, newest_migrations
from tests.faults import answer_within


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "alive"}


def test_readyz_names_each_check(client, backend):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert {k: body["checks"][k] for k in ("database", "redis", "migrations")} == {
        "database": "ok",
        "redis": "ok",
        "migrations": "ok",
    }
    expected = "no acting scheduler" if backend == "postgresql" else "embedded"
    assert body["checks"]["scheduler"] == expected


def test_readyz_turns_unready_when_the_database_is_cut_and_ready_when_it_returns(outage):
    served, fault = outage
    client = served.test_client()
    assert client.get("/readyz").status_code == 200
    fault.cut()
    response, took = answer_within(10, lambda: client.get("/readyz"))
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unready"
    assert body["checks"]["database"] != "ok"
    assert took < 5
    assert client.get("/healthz").status_code == 200  # alive all the same
    fault.restore()
    response, _ = answer_within(10, lambda: client.get("/readyz"))
    assert response.status_code == 200, response.get_json()


def test_readyz_is_unready_while_a_migration_is_missing(client):
    (newest,) = newest_migrations()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001_city_model'"))
    db.session.commit()
    try:
        body = client.get("/readyz").get_json()
        assert body["status"] == "unready"
        assert body["checks"]["migrations"] == f"at 0001_city_model, newest is {newest}"
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newest})
        db.session.commit()


def test_an_unreachable_redis_is_reported():
    settings = Settings.from_env(redis_url="redis://127.0.0.1:1/0", health_timeout_seconds=0.5)
    assert _redis(settings) != "ok"


def test_docker_compose_restarts_every_service_and_gates_on_readiness():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
    services = compose["services"]
    assert all(s.get("restart") in ("unless-stopped", "on-failure") for s in services.values()), {
        name: s.get("restart") for name, s in services.items()
    }
    for name in ("web1", "web2"):
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["proxy"]["depends_on"] == {
        "web1": {"condition": "service_healthy"},
        "web2": {"condition": "service_healthy"},
    }
    assert all("healthcheck" in services[name] for name in ("postgis", "redis"))
