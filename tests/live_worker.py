"""Real Celery worker and beat processes of the project's app, for end-to-end tests and the bench.

Each process runs in its own session so stopping it also stops its pool children, by that process
group's id only. Output goes to files in `folder`, shown when a test fails to explain why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def database_url_for(name: str) -> str:
    """DATABASE_URL pointing at database `name` on the server of the current DATABASE_URL."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def flush_redis(url: str) -> None:
    """Empty this Redis database (one db number of our own): no task left from an earlier run."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


class Clock:
    """The edge-of-world clock the processes read (settings.CLOCK_FILE)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.write_text("")

    def set(self, moment: datetime) -> None:
        # Written whole and renamed, so a process never reads half a moment.
        partial = self.path.with_suffix(".partial")
        partial.write_text(moment.isoformat())
        partial.replace(self.path)


@dataclass
class LiveCelery:
    folder: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    killed_logs: list[Path] = field(default_factory=list)

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "socialtraining", *args],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        self.processes.append(process)
        self.logs.append(log)
        return process

    def start_worker(
        self, *, name: str = "worker", concurrency: int = 2, queues: str = "celery,dispatch"
    ) -> subprocess.Popen:
        """A worker; by default on both queues (production gives `dispatch` a worker of its own)."""
        return self._start(
            name,
            [
                "worker",
                "--loglevel=WARNING",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                f"--queues={queues}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname={name}-{os.getpid()}@%h",
            ],
        )

    def start_beat(self, *, name: str = "beat") -> subprocess.Popen:
        return self._start(
            name,
            [
                "beat",
                "--loglevel=WARNING",
                f"--schedule={self.folder / f'{name}-schedule'}",
                f"--pidfile={self.folder / f'{name}.pid'}",
            ],
        )

    def wait_ready(self, *, timeout: float) -> None:
        """Wait until a worker answers a ping (its pool is up and consuming)."""
        from socialtraining.celery import app

        app.conf.broker_url = self.env["REDIS_URL"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            if app.control.ping(timeout=1.0):
                return
        raise RuntimeError(f"no worker answered within {timeout} s:\n{self.output()}")

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a process and its pool children at once: a crash, mid-whatever it was doing."""
        _signal_group(process, signal.SIGKILL)
        process.wait(10)
        index = self.processes.index(process)
        del self.processes[index]
        self.killed_logs.append(self.logs.pop(index))

    def check_running(self) -> None:
        for process, log in zip(self.processes, self.logs, strict=True):
            if process.poll() is not None:
                raise RuntimeError(f"{log.stem} exited ({process.returncode}):\n{self.output()}")

    def output(self) -> str:
        logs = [*self.logs, *self.killed_logs]
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in logs)

    def stop(self, timeout: float = 15) -> None:
        """Warm shutdown (TERM) of each process group, then KILL whatever is still there."""
        for process in self.processes:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            # The pool's children share the group: none may outlive the test.
            _signal_group(process, signal.SIGKILL)
            process.wait(5)
        self.processes.clear()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


class RedisServer:
    """A Redis server of the test's own, on a free port, to stop and start: an outage."""

    def __init__(self, folder: Path) -> None:
        from tests.smtp_sink import free_port

        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(redis.ConnectionError):
                if redis.Redis(port=self.port).ping():
                    return self
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@contextmanager
def live_celery(*, folder: Path, database_name: str, redis_url: str, **extra_env: str):
    """Worker and beat processes against this database, broker and the given settings;
    `redis_url=""` runs them on the filesystem broker in `folder`, as `make demo` does."""
    if redis_url:
        flush_redis(redis_url)
    else:
        extra_env.setdefault("CELERY_BROKER_DIR", str(folder / "broker"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for(database_name),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "false",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    live = LiveCelery(folder=folder, env=env)
    try:
        yield live
    finally:
        live.stop()
        if redis_url:
            flush_redis(redis_url)
