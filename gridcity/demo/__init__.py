"""The demo city, generated from a seed."""
