"""The fault drill by hand: the production topology (gunicorn gevent web
processes, two `gridcity scheduler` processes, Redis) on PostgreSQL through a
TCP proxy; under a steady report load the database is cut, then hung, for a
few seconds each. Prints requests, reports sent / acknowledged / lost /
duplicated, 503s and other 5xx, the longest wait for an answer and whether two
schedulers ever acted at once; the last line is JSON.

    .venv/bin/python scripts/fault_drill.py [--postgres-url URL] [--cut 4] [--hang 4]

The database (default gc_fault_drill, which must exist with PostGIS) is
brought to the newest schema and gets the demo city when it has none; the
drill's reports stay in it. Same drill as tests/live/test_fault_drill.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridcity.simulate.drill import run_drill  # noqa: E402
from gridcity.simulate.faults import DatabaseProxy  # noqa: E402
from gridcity.simulate.topology import GRIDCITY, Topology, wait_for_line  # noqa: E402

FAST_ENV = {
    "GRIDCITY_DB_CONNECT_TIMEOUT_SECONDS": "1",
    "GRIDCITY_DB_STATEMENT_TIMEOUT_SECONDS": "1",
    "GRIDCITY_DB_POOL_TIMEOUT_SECONDS": "1",
    "GRIDCITY_DB_RETRY_AFTER_SECONDS": "1",
    "GRIDCITY_SCHEDULER_STANDBY_SECONDS": "1",
}


def prepare_database(url: str, folder: Path) -> str:
    from sqlalchemy import func, select

    from gridcity import create_app
    from gridcity.core.migrate import upgrade
    from gridcity.core.settings import normalize_database_url
    from gridcity.demo.city import build_demo_city
    from gridcity.extensions import db
    from gridcity.org.models import User

    url = normalize_database_url(url)
    upgrade(url)
    app = create_app({"database_url": url, "instance_dir": folder, "secret_key": "fault-drill"})
    with app.app_context():
        if not db.session.scalar(select(func.count()).select_from(User)):
            print("loading the demo city", flush=True)
            build_demo_city(seed=1)
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1/gc_fault_drill")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--web", type=int, default=2)
    parser.add_argument("--warm-up", type=float, default=3.0)
    parser.add_argument("--cut", type=float, default=4.0, help="seconds the database is gone")
    parser.add_argument("--hang", type=float, default=4.0, help="seconds the database hangs")
    parser.add_argument("--recover", type=float, default=4.0, help="seconds after each fault")
    parser.add_argument("--period", type=float, default=0.5, help="seconds between one inspector's reports")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="gridcity-fault-drill-"))
    url = prepare_database(args.postgres_url, folder)
    proxy = DatabaseProxy().start()
    topo = Topology(
        database_url=proxy.url_for(url),
        redis_url=args.redis_url,
        channel=f"gridcity-drill-{uuid.uuid4().hex[:12]}",
        folder=folder,
        web=args.web,
        scheduler=True,
        server="gunicorn",
        worker="gevent",
        sweep_seconds=1,
        secret_key="fault-drill",
        extra_env=FAST_ENV,
    )
    try:
        topo.start()
        second = topo._spawn("scheduler2", [*GRIDCITY, "scheduler"], topo.env())
        wait_for_line(topo.logs[-1], "standing by", second, timeout=60)
        print(f"topology up: {', '.join(topo.urls)}; logs in {folder}", flush=True)
        schedule = (
            ("pass", args.warm_up),
            ("cut", args.cut),
            ("pass", args.recover),
            ("hang", args.hang),
            ("pass", args.recover),
        )
        schedulers = [log for log in topo.logs if log.name.startswith("scheduler")]
        result = run_drill(topo.urls, proxy, url, schedulers, period=args.period, schedule=schedule)
    finally:
        topo.stop()
        proxy.stop()
    print(
        f"requests {result.requests}; reports sent {result.sent}, acknowledged {result.acknowledged}, "
        f"lost {result.lost}, duplicated {result.duplicated}, not acknowledged {result.unacknowledged}\n"
        f"answers 503 {result.http_503}, other 5xx {result.http_5xx_other}, other {result.other_statuses}, "
        f"none {result.no_answer}; longest wait {result.longest_wait_s:.2f} s\n"
        f"scheduler job runs {result.scheduler_runs}, overlapping runs {result.scheduler_overlaps}"
    )
    print(result.line())
    ok = (
        result.lost == result.duplicated == result.http_5xx_other == result.no_answer == 0
        and result.longest_wait_s < 5
        and result.scheduler_overlaps == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
