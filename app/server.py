"""The production server: gunicorn with threaded workers, each building its own app after the fork.

Each gunicorn worker process loads the app itself (no preloading), so no database connection
crosses a fork. With the worker enabled, every web worker process also runs the timer and webhook
jobs in a background thread; running them twice is harmless because the database claim decides who
fires what.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 2
DEFAULT_THREADS = 8
#: Seconds gunicorn gives a worker process to finish after SIGTERM. The timer and webhook jobs stop
#: after the step or POST in flight (a step is bounded by STEP_MAX_SECONDS, 10 by default).
GRACEFUL_TIMEOUT = 30


def wsgi_app() -> Any:
    """WSGI entry point for any server: ``gunicorn 'app.server:wsgi_app()'``."""
    from app import create_app

    return create_app()


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn serving :func:`app.create_app` with ``gthread`` workers."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = DEFAULT_WORKERS,
        threads: int = DEFAULT_THREADS,
        run_worker: bool = True,
        access_log: bool = True,
    ) -> None:
        self.app_config = dict(config or {})
        self.run_worker = run_worker
        self.options: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "preload_app": False,
            "timeout": 60,
            "graceful_timeout": GRACEFUL_TIMEOUT,
            "keepalive": 5,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "control_socket_disable": True,
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
            "child_exit": self._child_exit,
        }
        if self.app_config.get("LOG_FORMAT") == "json":
            from app.logs import gunicorn_logconfig

            # one JSON line per request comes from the app (with its trace ids), not gunicorn's access log
            self.options["accesslog"] = None
            self.options["logconfig_dict"] = gunicorn_logconfig(self.app_config)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from app import create_app

        return create_app(self.app_config)

    def _post_worker_init(self, worker: Any) -> None:
        if not self.run_worker:
            return
        try:
            from app import worker as jobs
        except ImportError:  # pragma: no cover - the worker module ships with the app
            return
        worker.timer_handle = jobs.start_in_process(worker.wsgi)

    @staticmethod
    def _child_exit(_server: Any, worker: Any) -> None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid)

    @staticmethod
    def _worker_exit(_server: Any, worker: Any) -> None:
        handle = getattr(worker, "timer_handle", None)
        if handle is not None:
            handle.shutdown(timeout=GRACEFUL_TIMEOUT)
