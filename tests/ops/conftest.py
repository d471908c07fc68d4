"""Operations fixtures: the case tests' mini city and API helpers, and reading
/metrics back as numbers."""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cases.conftest import api, city, frozen_clock  # noqa: F401 - fixtures reused
from tests.faults import outage  # noqa: F401 - a fixture


def parse_metrics(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) → value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, metric: str, /, **labels) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


def moved(before: dict, after: dict, metric: str, /, **labels) -> float:
    """How far a sample moved between two scrapes."""
    return value(after, metric, **labels) - value(before, metric, **labels)


@pytest.fixture
def scrape(app, client):
    """``scrape()``: /metrics as numbers, read fresh (no cached case counts)."""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], metrics_cache_seconds=0)

    def read(**headers) -> dict:
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.content_type.startswith("text/plain")
        return parse_metrics(response.get_data(as_text=True))

    return read
