"""The periodic work of supervision while the server runs: the compliance scan (on demand: `zhifa
supervise scan`) and the reminders (`zhifa supervise remind`): an item that becomes overdue is sent
within ZHIFA_REMINDER_INTERVAL seconds, the daily digest once a day from ZHIFA_REMINDER_DIGEST_HOUR."""

import logging
import threading
import time
from datetime import timedelta

log = logging.getLogger("zhifa.supervision")


def start_periodic_scan(interval: int) -> None:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from supervision.reminders import reminders_run
    from supervision.services import findings_scan_if_due

    remind_every = settings.ZHIFA_REMINDER_INTERVAL

    def loop():
        stop = threading.Event()
        last_remind = 0.0
        while not stop.wait(min(interval, remind_every, 60)):
            try:
                findings_scan_if_due(max_age=timedelta(seconds=interval))
                if time.monotonic() - last_remind >= remind_every:
                    last_remind = time.monotonic()
                    digest = timezone.localtime().hour >= settings.ZHIFA_REMINDER_DIGEST_HOUR
                    reminders_run(digest=digest)
            except Exception:
                log.exception("periodic supervision work failed")
            finally:
                connection.close()

    threading.Thread(target=loop, name="compliance-scan", daemon=True).start()
