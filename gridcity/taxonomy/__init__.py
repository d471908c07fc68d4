"""Taxonomy (部件 / 事件 classes with their standards and deadlines) and the
responsibility rules that route a category at a place to a unit."""
