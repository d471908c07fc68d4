"""The field inspectors' mobile web app (/m/) and the figures it shows."""
