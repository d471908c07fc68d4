"""Overdue risk (超期风险): a model of the city's own history, retrained nightly."""
