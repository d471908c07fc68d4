"""WSGI entry point for gunicorn (``gridcity.wsgi:app``)."""

import logging

from gridcity import create_app
from gridcity.extensions import socketio

app = create_app()
# gunicorn leaves the application's loggers unconfigured: without this their
# INFO lines (and the job and live-event notes) would go nowhere.
logging.basicConfig(
    level=app.config["SETTINGS"].log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)
logging.getLogger(__name__).info("live events: Socket.IO async_mode=%s", socketio.async_mode)
