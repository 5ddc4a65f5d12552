"""Database connections per request: new each time, kept by each worker, or psycopg's pool.

Serves two pages from gunicorn (gunicorn.conf.py) on 127.0.0.1 against
PostgreSQL: the demo programme page of Socialrådgiverdage (90+ workshops: the
page members load in a rush) and ``/readyz`` (one ``SELECT 1``: nearly all of
its time is the connection). Three times, once per way of connecting:

- ``CONN_MAX_AGE=0``: Django opens a connection for each request and closes it;
- ``CONN_MAX_AGE=60``: each worker keeps its connection (the default);
- ``DATABASE_POOL=1``: each worker keeps a psycopg connection pool;

and prints requests per second, latency and how many connections PostgreSQL
saw opened (``pg_stat_database.sessions``). Every run is bounded by its number
of requests and by ``--seconds``. The database named by ``--db`` is DROPPED
and created again; its name must contain "bench".

    .venv/bin/python bench/connections.py [--db postgres://postgres@127.0.0.1:5432/fagdag_bench_conn]
        [--workers 4] [--clients 8] [--requests 600] [--readyz-requests 3000] [--seconds 60]
"""

import argparse
import contextlib
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent
HOST = "127.0.0.1"  # the only target this benchmark sends requests to
PROGRAMME = "/arrangementer/socialraadgiverdage-2017/"  # the programme page of the demo data
READYZ = "/readyz"
MODES = {
    "CONN_MAX_AGE=0": {"CONN_MAX_AGE": "0"},
    "CONN_MAX_AGE=60": {"CONN_MAX_AGE": "60"},
    "DATABASE_POOL=1": {"DATABASE_POOL": "1"},
}


def maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def recreate_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name or urlsplit(url).hostname not in {"127.0.0.1", "localhost"}:
        sys.exit(f"refusing to drop {name!r}: the name must contain 'bench', on this host")
    with psycopg.connect(maintenance_url(url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def sessions_opened(url: str) -> int:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(maintenance_url(url), autocommit=True) as connection:
        connection.execute("SELECT pg_stat_clear_snapshot()")
        return connection.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()[0]


def manage(environment: dict[str, str], *arguments: str) -> None:
    subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, str(BASE_DIR / "manage.py"), *arguments],
        env=environment, cwd=BASE_DIR, check=True, stdout=subprocess.DEVNULL, timeout=600,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def get(port: int, path: str = READYZ) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


@contextlib.contextmanager
def gunicorn(environment: dict[str, str], workers: int):
    """gunicorn with gunicorn.conf.py on a free port; stopped (by its own PID) on exit."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [str(BIN_DIR / "gunicorn"), "-c", "gunicorn.conf.py", "fagdag.wsgi"],
        env={**environment, "GUNICORN_BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": str(workers)},
        cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            if server.poll() is not None:
                sys.exit(f"gunicorn exited with {server.returncode}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if get(port)[0] == 200:
                    break
            time.sleep(0.2)
        else:
            sys.exit("gunicorn did not answer within 60 s")
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def hammer(port: int, path: str, *, clients: int, requests: int, seconds: float) -> dict:
    """``requests`` GETs from ``clients`` threads, or as many as fit into ``seconds``."""
    latencies, statuses, lock = [], [], threading.Lock()
    remaining = iter(range(requests))
    deadline = time.monotonic() + seconds

    def client():
        while time.monotonic() < deadline:
            with lock:
                if next(remaining, None) is None:
                    return
            status, elapsed = get(port, path)
            with lock:
                statuses.append(status)
                latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(statuses),
        "errors": sum(status != 200 for status in statuses),
        "per_second": len(statuses) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fagdag_bench_conn")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=600, help="programme GETs per mode")
    parser.add_argument("--readyz-requests", type=int, default=3000, help="/readyz GETs per mode")
    parser.add_argument("--seconds", type=float, default=60, help="at most, per mode")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fagdag-bench-") as data_dir:
        environment = {
            **os.environ,
            "DATABASE_URL": arguments.db,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",
            "DATA_DIR": data_dir,
            "STATIC_ROOT": str(Path(data_dir) / "static"),
            "LOG_LEVEL": "WARNING",
        }
        recreate_database(arguments.db)
        for command in (("migrate", "--no-input"), ("createcachetable",), ("load_demo",)):
            manage(environment, *command)
        manage(environment, "collectstatic", "--no-input")
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(
            f"{os.cpu_count()} CPUs, load {load}; gunicorn {arguments.workers} workers, "
            f"{arguments.clients} clients"
        )
        print(f"{'page':<10}{'mode':<17}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>8}"
              f"{'p95 ms':>8}{'connections':>13}")  # fmt: skip
        failed = False
        for mode, settings in MODES.items():
            with gunicorn({**environment, **settings}, arguments.workers) as port:
                for _ in range(50):  # warm up every worker
                    get(port, PROGRAMME)
                for name, path, requests in (
                    ("programme", PROGRAMME, arguments.requests),
                    ("/readyz", READYZ, arguments.readyz_requests),
                ):
                    before = sessions_opened(arguments.db)
                    result = hammer(
                        port,
                        path,
                        clients=arguments.clients,
                        requests=requests,
                        seconds=arguments.seconds,
                    )
                    time.sleep(1)  # closed sessions reach the statistics
                    opened = sessions_opened(arguments.db) - before
                    failed |= result["errors"] > 0
                    print(
                        f"{name:<10}{mode:<17}{result['requests']:>9}{result['errors']:>7}"
                        f"{result['per_second']:>8.0f}{result['p50_ms']:>8.1f}"
                        f"{result['p95_ms']:>8.1f}{opened:>13}"
                    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
