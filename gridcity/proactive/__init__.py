"""Proactive tasks (主动治理): work the center starts itself from a hotspot or
a recurring problem, tracked as a case."""
