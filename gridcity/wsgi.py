"""WSGI entry point for gunicorn (``gridcity.wsgi:app``)."""

from gridcity import create_app

app = create_app()
