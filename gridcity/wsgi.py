"""WSGI entry point for gunicorn (``gridcity.wsgi:app``)."""

import logging

from gridcity import create_app
from gridcity.extensions import socketio
from gridcity.ops.health import prepare_serving_process

app = create_app()
# gunicorn leaves the application's loggers unconfigured: without this their
# INFO lines (and the job and live-event notes) would go nowhere.
logging.basicConfig(
    level=app.config["SETTINGS"].log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)
logging.getLogger(__name__).info("live events: Socket.IO async_mode=%s", socketio.async_mode)
# Serve only once the database answers (gunicorn holds the first requests in
# the listen queue meanwhile); past GRIDCITY_DB_WAIT_AT_START_SECONDS the worker
# fails to boot and the orchestrator restarts the process.
prepare_serving_process(app, "web")
