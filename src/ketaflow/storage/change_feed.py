"""Change announcements for the live board: in one process (SQLite) or across processes (PostgreSQL).

Only a counter travels, never patient data: a board that hears "something changed" reloads its view
through the normal, access-checked and audited route. On PostgreSQL the unit of work sends NOTIFY inside
its transaction, so the announcement is delivered at commit and never for a rolled-back write; every app
process LISTENs on one channel with a small background thread.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from sqlalchemy.engine import make_url

CHANNEL = "ketaflow_changes"
_RECONNECT_DELAY_S = 2.0
_FIRST_LISTEN_WAIT_S = 5.0
logger = logging.getLogger(__name__)


class LocalChangeFeed:
    """Changes published in this process."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def publish_local(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def current(self) -> int:
        with self._changed:
            return self._count

    def wait_for_change(self, seen: int, timeout_s: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self._count != seen, timeout=timeout_s)
            return self._count


class PostgresChangeFeed(LocalChangeFeed):
    """Changes NOTIFYed by any process on the database, heard by a LISTEN thread started on first use."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        url = make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._started = threading.Event()
        self._listening = threading.Event()  # set once LISTEN is in place (for the first caller to wait on)
        self._lock = threading.Lock()

    def _ensure_listening(self) -> None:
        """Start the listener once; the first caller waits for its LISTEN so no change is missed after it."""
        with self._lock:
            if self._started.is_set():
                return
            self._started.set()
            threading.Thread(target=self._listen, name="ketaflow-listen", daemon=True).start()
        self._listening.wait(timeout=_FIRST_LISTEN_WAIT_S)

    def _listen(self) -> None:
        while True:
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    for _ in conn.notifies():
                        self.publish_local()
            except psycopg.Error as exc:  # the database restarted or the network dropped: listen again
                logger.warning("change feed: listening stopped (%s); retrying", type(exc).__name__)
                time.sleep(_RECONNECT_DELAY_S)
                self.publish_local()  # something may have changed while we were not listening

    def current(self) -> int:
        self._ensure_listening()
        return super().current()

    def wait_for_change(self, seen: int, timeout_s: float) -> int:
        self._ensure_listening()
        return super().wait_for_change(seen, timeout_s)
