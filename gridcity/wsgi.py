"""WSGI entry point for gunicorn (``gridcity.wsgi:app``)."""

import logging

from gridcity import create_app
from gridcity.extensions import socketio
from gridcity.ops.health import prepare_serving_process
from gridcity.ops.request_log import configure_logging

app = create_app()
# gunicorn leaves the application's loggers unconfigured: without this their
# INFO lines (the access lines, the job and live-event notes) would go nowhere.
configure_logging(app.config["SETTINGS"])
logging.getLogger(__name__).info("live events: Socket.IO async_mode=%s", socketio.async_mode)
# Serve only once the database answers (gunicorn holds the first requests in
# the listen queue meanwhile); past GRIDCITY_DB_WAIT_AT_START_SECONDS the worker
# fails to boot and the orchestrator restarts the process.
prepare_serving_process(app, "web")
