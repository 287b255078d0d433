"""A bounded HTTP load, locust used as a library: `bench/run.py http` runs it in its own process.

Reads one JSON object on standard input: `host` (http://127.0.0.1:PORT), `cookies` (one session
cookie header per client, so each client is a different person signed in), `pages` ({name: path}),
`seconds` per page. For each page in turn, one client per cookie requests it as fast as the server
answers for `seconds`; anything but a 200 is an error. Prints {name: {requests, rps, p50_ms,
p95_ms, errors}} as JSON.

Its own process because locust patches the standard library with gevent, which the Django process
that seeds and measures must not get.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import itertools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402


def page_load(host: str, cookies: list[str], path: str, seconds: float) -> dict:
    next_cookie = itertools.cycle(cookies).__next__

    class Client(FastHttpUser):
        wait_time = constant(0)

        def on_start(self) -> None:
            self.headers = {"Cookie": next_cookie()}

        @task
        def page(self) -> None:
            with self.client.get(
                path, name="page", headers=self.headers, allow_redirects=False, catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"status {response.status_code}")

    Client.host = host
    environment = Environment(user_classes=[Client], events=events)
    runner = environment.create_local_runner()
    runner.start(len(cookies), spawn_rate=len(cookies))
    started = time.perf_counter()
    gevent.sleep(seconds)
    runner.quit()
    elapsed = time.perf_counter() - started
    entry = environment.stats.get("page", "GET")
    return {
        "requests": entry.num_requests,
        "rps": round(entry.num_requests / elapsed, 1),
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "errors": entry.num_failures,
    }


def main() -> None:
    spec = json.load(sys.stdin)
    results = {
        name: page_load(spec["host"], spec["cookies"], path, spec["seconds"])
        for name, path in spec["pages"].items()
    }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
