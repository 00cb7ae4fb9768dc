"""The periodic compliance scan while the server runs (on demand: `zhifa supervise scan`)."""

import logging
import threading
from datetime import timedelta

log = logging.getLogger("zhifa.supervision")


def start_periodic_scan(interval: int) -> None:
    from django.db import connection

    from supervision.services import findings_scan_if_due

    def loop():
        stop = threading.Event()
        while not stop.wait(min(interval, 60)):
            try:
                findings_scan_if_due(max_age=timedelta(seconds=interval))
            except Exception:
                log.exception("periodic compliance scan failed")
            finally:
                connection.close()

    threading.Thread(target=loop, name="compliance-scan", daemon=True).start()
