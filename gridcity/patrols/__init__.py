"""Patrols (巡查): daily, night, holiday and month-end rounds with their GPS tracks."""
