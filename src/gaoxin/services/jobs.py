"""Background jobs of the web server: one worker thread, one job at a time (decision 0029).

The server is its store's one writer; uploads and evaluation runs write, so they run one after
another, each on its own ``store.view()`` (a cursor: DuckDB connections are not shared across
threads).  A request submits a job and returns at once with its id; the page polls
``GET /api/v1/jobs/{id}`` for the state, progress 0..1 with a zh / en message, and the result JSON.
Jobs live in the server's memory (the last :data:`KEEP` of them); their effects — snapshots,
evaluations, audit rows — are in the store.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from gaoxin.store import audit
from gaoxin.store.db import Store

KEEP = 1000
State = Literal["queued", "running", "done", "failed"]
log = logging.getLogger("gaoxin.jobs")


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    address: str | None
    state: State = "queued"
    progress: float = 0.0
    message_zh: str = "排队中"
    message_en: str = "queued"
    result: Any = None
    created: float = field(default_factory=time.time)
    finished: float | None = None
    files: dict[str, Any] = field(default_factory=dict)  # server-side paths (never sent to a client)

    def report(self, progress: float, zh: str, en: str) -> None:
        """Progress from the running work: 0..1 and what it is doing."""
        self.progress = max(self.progress, min(1.0, max(0.0, float(progress))))
        self.message_zh, self.message_en = zh, en

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "owner": self.owner, "state": self.state,
                "progress": round(self.progress, 4), "message_zh": self.message_zh,
                "message_en": self.message_en, "result": self.result}


Work = Callable[[Store, Job], Any]


class Jobs:
    """The job table and its one worker thread (started with the first job, stopped with the server)."""

    def __init__(self, store: Store, after: Callable[[Store], None] | None = None) -> None:
        """``after(view)`` runs in the worker thread after every job that succeeded (the server warms its
        read caches there for the new snapshot or evaluation, decision 0033)."""
        self._store = store
        self._after = after
        self._stopping = False
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[tuple[Job | None, Callable] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def background(self, work: Callable[[Store], None]) -> None:
        """The server's own work (``work(view)``, e.g. warming caches) in the worker thread, after the jobs
        already queued; not a user's job, so not listed.  Its failure is logged, never raised."""
        self._ensure_thread()
        self._queue.put((None, work))

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="gaoxin-jobs", daemon=True)
                self._thread.start()

    def submit(self, kind: str, owner: str, address: str | None, work: Work, **files: Any) -> Job:
        job = Job(secrets.token_hex(8), kind, owner, address, files=files)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
        self._ensure_thread()
        self._queue.put((job, work))
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def listing(self, owner: str | None = None) -> list[Job]:
        """Jobs newest first; only ``owner``'s unless None (an admin)."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in reversed(jobs) if owner is None or j.owner == owner]

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job has finished (tests, the command line); the job or None if unknown."""
        end = time.monotonic() + timeout
        job = self.get(job_id)
        while job is not None and job.state in ("queued", "running") and time.monotonic() < end:
            time.sleep(0.02)
        return job

    def stop(self) -> None:
        """Let the running job finish, then end the worker (jobs still queued are dropped)."""
        self._stopping = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=600)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            job, work = item
            if job is None:
                if not self._stopping:  # housekeeping not yet begun is skipped when the server stops
                    self._internal(work)
                continue
            job.state = "running"
            job.report(0.0, "运行中", "running")
            view = self._store.view()
            try:
                with audit.acting(job.owner, job.address):
                    job.result = work(view, job)
                job.state = "done"
                job.report(1.0, "完成", "done")
                if self._after is not None:
                    self._queue.put((None, self._after))
            except Exception as e:  # a job's failure is its result; the worker goes on
                job.state = "failed"
                job.result = {"error": _error(e)}
                job.message_zh, job.message_en = job.result["error"]["message_zh"], job.result["error"]["message_en"]
            finally:
                view.close()
                job.finished = time.time()

    def _internal(self, work: Callable[[Store], None]) -> None:
        view = self._store.view()
        try:
            work(view)
        except Exception:  # the server's own housekeeping: logged, the worker goes on
            log.exception("background work failed")
        finally:
            view.close()


def _error(e: Exception) -> dict:
    """The client's view of a failure: the user's own error in full, anything else as 'internal'."""
    from gaoxin.services.errors import user_errors

    if isinstance(e, user_errors()):
        text = str(e)
        return {"code": "bad_request", "message_zh": text, "message_en": text}
    log.exception("job failed")
    return {"code": "internal", "message_zh": "服务器内部错误", "message_en": "internal server error"}
