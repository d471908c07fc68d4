"""The risk model itself: logistic regression on one-hot groups and the
scaled unit load, fitted with scikit-learn and kept as plain JSON.

Why this model: its explanation is exact and simple. The log-odds of a case
are ``base + Σ contribution``, one contribution per factor: a group's
(category, unit, street, clock, period, weekday) is its value's coefficient
minus the training rows' mean coefficient of that group; the load's is its
coefficient × the load scaled (log1p, then centred and divided by the
spread of the training rows). ``base`` is the log-odds of a case that is
average in every factor. A value the training never saw (a new unit)
contributes nothing. The drawer names the factors with the largest positive
contributions: what raises this case's risk above the average.

Kept as JSON (the coefficients by value), not a pickle: any web process or
scheduler reads it with numpy alone, whatever scikit-learn it has.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from gridcity.risk.features import FACTORS, GROUPS, Dispatches

# L2 strength (scikit-learn's C: larger is weaker) and the solver's rounds.
REGULARISATION_C = 1.0
MAX_ITERATIONS = 500


def _scaled_load(load: np.ndarray, mean: float, spread: float) -> np.ndarray:
    return (np.log1p(load) - mean) / spread


def fit(d: Dispatches) -> dict:
    """A model of ``d.late`` (1 / 0 rows only) as JSON."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    n = len(d)
    vocabularies, blocks = {}, []
    for group in GROUPS:
        values, index = np.unique(d.values(group), return_inverse=True)
        vocabularies[group] = values
        blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), index)), shape=(n, len(values))))
    logs = np.log1p(d.load)
    mean, spread = float(logs.mean()), float(logs.std()) or 1.0
    load = _scaled_load(d.load, mean, spread)
    design = sparse.hstack([*blocks, sparse.csr_matrix(load.reshape(-1, 1))], format="csr")
    classifier = LogisticRegression(C=REGULARISATION_C, max_iter=MAX_ITERATIONS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        classifier.fit(design, d.late)
    coef = classifier.coef_[0]
    model: dict = {"groups": {}, "converged": not any(w.category is ConvergenceWarning for w in caught)}
    base = float(classifier.intercept_[0])
    start = 0
    for group, block in zip(GROUPS, blocks):
        width = block.shape[1]
        weights = coef[start : start + width]
        # The training rows' mean coefficient: the average case's part of the base.
        baseline = float((block @ weights).mean())
        base += baseline
        model["groups"][group] = {
            "values": [v.item() if hasattr(v, "item") else v for v in vocabularies[group]],
            "weights": [float(w) for w in weights],
            "baseline": baseline,
        }
        start += width
    model["load"] = {"mean": mean, "spread": spread, "weight": float(coef[start])}
    model["base"] = base
    return model


def contributions(model: dict, d: Dispatches) -> tuple[np.ndarray, np.ndarray]:
    """Risk (0–1) of each dispatch and its contribution per factor
    (``FACTORS`` order, log-odds)."""
    n = len(d)
    parts = np.zeros((n, len(FACTORS)))
    for k, group in enumerate(GROUPS):
        spec = model["groups"][group]
        lookup = {value: weight - spec["baseline"] for value, weight in zip(spec["values"], spec["weights"])}
        values = d.values(group)
        parts[:, k] = [lookup.get(v.item() if hasattr(v, "item") else v, 0.0) for v in values]
    load = model["load"]
    parts[:, len(GROUPS)] = load["weight"] * _scaled_load(d.load, load["mean"], load["spread"])
    logits = model["base"] + parts.sum(axis=1)
    return 1.0 / (1.0 + np.exp(-logits)), parts


def load_above_average(model: dict, load: float) -> bool:
    """Whether a unit load is above the training rows' (scaled) average."""
    spec = model["load"]
    return float(_scaled_load(np.array([load]), spec["mean"], spec["spread"])[0]) > 0
