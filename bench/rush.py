"""The registration rush on one small server: many members at once, through the public form.

Builds a fresh PostgreSQL database with the demo programme (``load_demo``),
starts gunicorn on 127.0.0.1 and drives the public registration form over HTTP
as browsers do (GET the form with its CSRF cookie and submission token, POST
it back, no redirects followed). Then checks the seat invariant in the
database and prints the figures. Phases:

Before (a), every worker serves each page a few times, unmeasured: a server
is up before registration opens, and its workers' first requests (templates
compiled, the form's page and programme built) are not part of the rush.

a. rush: many members register at once, each with a random free workshop in
   every block (retrying, as a member would, when a choice fills meanwhile);
b. contention: many members who all loaded the form earlier submit it at once
   for the same workshop, which has 10 seats left;
c. pages: requests per second of the programme page, the event list and a
   trivial view served by the same gunicorn.

Every loop is bounded in count and by one global deadline. The database named
by ``--db`` is DROPPED and created again; its name must contain "bench".

    .venv/bin/python bench/rush.py [--db postgres://postgres@127.0.0.1:5432/fagdag_bench]
        [--workers 4] [--clients 50] [--registrations 1500] [--contention 300]
"""

import argparse
import contextlib
import math
import os
import random
import re
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent
HOST = "127.0.0.1"  # the only target this benchmark ever sends requests to
SLUG = "socialraadgiverdage-2017"
FORM_PATH = f"/tilmelding/{SLUG}/"
PROGRAMME_PATH = f"/arrangementer/{SLUG}/"
LIST_PATH = "/"
REQUEST_TIMEOUT = 30  # seconds, one HTTP request

INPUT_TAG = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
INPUT_TYPE = re.compile(r'\stype\s*=\s*"([^"]*)"', re.IGNORECASE)
INPUT_NAME = re.compile(r'\sname\s*=\s*"([^"]*)"', re.IGNORECASE)
INPUT_VALUE = re.compile(r'\svalue\s*=\s*"([^"]*)"', re.IGNORECASE)
INPUT_DISABLED = re.compile(r"\sdisabled\b", re.IGNORECASE)
# What the form page says when it comes back (Danish, or English without compiled messages).
WORKSHOP_FULL_TEXT = re.compile(r"blev fuldt booket, mens du|was fully booked while you filled")
EVENT_FULL_TEXT = re.compile(r"Arrangementet er fuldt booket|The event is fully booked")
ALREADY_REGISTERED_TEXT = re.compile(r"Du er allerede tilmeldt|You are already registered")
FORM_ERRORS_TEXT = re.compile(r'class="[^"]*error-summary')

SECTORS = ("public", "private", "self_employed")


# --- HTTP, as a browser does it -----------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str
    elapsed: float  # seconds


class BadResponse(OSError):
    """An answer that is not HTTP/1.x: counted as a connection error."""


class Browser:
    """One member's browser: its own cookies, one request at a time, redirects not followed.

    Cookies are kept by hand: with DEBUG off the CSRF cookie is ``Secure``, which
    a browser on http://127.0.0.1 keeps (a local origin counts as secure) but
    Python's cookie jar would drop.

    HTTP/1.1 over a plain socket, one connection per request ("Connection:
    close", read to its end): the bench runs on the cores it measures, and
    this costs a fraction of ``http.client``'s CPU for the same bytes.
    """

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        origin = f"http://{HOST}:{self.port}"
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {HOST}:{self.port}",
            "User-Agent: fagdag-bench/1.0",
            "Accept: text/html,application/xhtml+xml",
            "Accept-Language: da",
            "Connection: close",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Origin: {origin}",
                f"Referer: {origin}{path}",
            ]
        if form is not None or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        started = time.perf_counter()
        with socket.create_connection((HOST, self.port), timeout=REQUEST_TIMEOUT) as connection:
            connection.sendall(message)
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        elapsed = time.perf_counter() - started
        head, separator, data = b"".join(chunks).partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not separator or not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise BadResponse(f"not an HTTP answer: {status_line[:80]!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = value
            if name == "set-cookie":
                cookie_name, _, cookie = value.partition("=")
                self.cookies[cookie_name.strip()] = cookie.split(";", 1)[0]
        return Response(
            status=int(rest[:3]),
            headers=headers,
            text=data.decode("utf-8", errors="replace"),
            elapsed=elapsed,
        )


@dataclass
class FormPage:
    hidden: dict[str, str]  # csrfmiddlewaretoken, submission_token
    workshops: dict[str, list[tuple[str, bool]]]  # block field -> [(workshop id, disabled)]

    def free(self, block_field: str) -> list[str]:
        return [workshop for workshop, disabled in self.workshops[block_field] if not disabled]


def parse_form(html: str) -> FormPage:
    """The hidden fields and each block's radio buttons, as a browser reads them.

    Only the attributes it needs are looked for in each tag: the bench runs on
    the machine it measures, so its own work is kept small.
    """
    hidden: dict[str, str] = {}
    workshops: dict[str, list[tuple[str, bool]]] = {}
    for tag in INPUT_TAG.findall(html):
        kind, name = INPUT_TYPE.search(tag), INPUT_NAME.search(tag)
        if kind is None or name is None:
            continue
        kind, name = kind.group(1).lower(), unescape(name.group(1))
        value = INPUT_VALUE.search(tag)
        value = unescape(value.group(1)) if value else ""
        if kind == "hidden" and name:
            hidden[name] = value
        elif kind == "radio" and name.startswith("block_"):
            workshops.setdefault(name, []).append((value, INPUT_DISABLED.search(tag) is not None))
    return FormPage(hidden=hidden, workshops=workshops)


def member_answers(n: int, run: str) -> dict[str, str]:
    """What one member types in: every required field of the paid SD17 form."""
    return {
        "name": f"Bench Deltager {n}",
        "email": f"bench-{run}-{n}@example.org",
        "phone": "",
        "workplace": "Kolding Kommune",
        "job_title": "Socialrådgiver",
        "sector": SECTORS[n % len(SECTORS)],
        "membership_number": str(100000 + n),
        "dietary_needs": "",
        "payer": "personal",
        "ean": "",
        "cvr": "",
        "invoice_organisation": "",
        "invoice_address": f"Eksempelvej {n % 200 + 1}\n6000 Kolding",
        "invoice_attention": "",
        "invoice_order_number": "",
        "consent": "on",
    }


def classify(response: Response) -> str:
    if response.status in (301, 302, 303):
        location = response.headers.get("location", "")
        return "registered" if "/bekraeftelse/" in location else "other redirect"
    if response.status == 200:
        if WORKSHOP_FULL_TEXT.search(response.text):
            return "workshop full"
        if EVENT_FULL_TEXT.search(response.text):
            return "event full"
        if ALREADY_REGISTERED_TEXT.search(response.text):
            return "already registered"
        if FORM_ERRORS_TEXT.search(response.text):
            return "other 200 (form errors)"
        return "other 200"
    if 400 <= response.status < 500:
        return f"{response.status} (4xx)"
    return f"{response.status} (5xx)" if response.status >= 500 else f"{response.status}"


# --- Measurements ---------------------------------------------------------------------------


@dataclass
class Tally:
    """Outcomes and latencies of one phase, shared by its threads."""

    outcomes: Counter = field(default_factory=Counter)
    post_latencies: list[float] = field(default_factory=list)
    get_latencies: list[float] = field(default_factory=list)
    registered: int = 0
    started: float = field(default_factory=time.perf_counter)
    ended: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: str, *, post: float | None = None, get: float | None = None):
        with self.lock:
            self.outcomes[outcome] += 1
            if post is not None:
                self.post_latencies.append(post)
            if get is not None:
                self.get_latencies.append(get)
            if outcome == "registered":
                self.registered += 1

    @property
    def seconds(self) -> float:
        return (self.ended or time.perf_counter()) - self.started

    def count(self, predicate) -> int:
        return sum(n for outcome, n in self.outcomes.items() if predicate(outcome))

    @property
    def server_errors(self) -> int:
        return self.count(lambda outcome: outcome.endswith("(5xx)"))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)) - 1, 0)
    return ordered[rank] * 1000


def latency_line(label: str, values: list[float]) -> str:
    return (
        f"  {label:<22} n={len(values):>5}  p50={percentile(values, 50):7.1f} ms  "
        f"p95={percentile(values, 95):7.1f} ms  p99={percentile(values, 99):7.1f} ms  "
        f"max={percentile(values, 100):7.1f} ms"
    )


def print_tally(title: str, tally: Tally, cpu: dict, *, unit: str = "registrations") -> None:
    print(f"\n== {title} ==")
    rate = tally.registered / tally.seconds if tally.seconds else 0.0
    print(f"  {tally.registered} {unit} in {tally.seconds:.1f} s: {rate:.1f} {unit}/s")
    print(cpu_line(cpu, tally.registered + tally.outcomes["workshop full"], "member"))
    print(latency_line("POST (submit form)", tally.post_latencies))
    print(latency_line("GET (form page)", tally.get_latencies))
    print("  outcomes of the POSTs and attempts:")
    for outcome, n in sorted(tally.outcomes.items(), key=lambda item: -item[1]):
        print(f"    {outcome:<28} {n:>6}")


class CpuMeter:
    """CPU seconds spent in a phase by gunicorn, by its PostgreSQL backends and by this bench.

    Wall-clock figures depend on whatever else the machine runs; CPU time per
    request much less so. Read from /proc (Linux): gunicorn's master and its
    workers, and the backends of the benchmark database (pg_stat_activity).
    """

    TICKS = os.sysconf("SC_CLK_TCK")

    def __init__(self, server_pid: int, database_url: str):
        self.server_pid = server_pid
        self.database_url = database_url

    @classmethod
    def stat(cls, pid: int) -> list[str] | None:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None

    def server_pids(self) -> list[int]:
        pids = [self.server_pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = self.stat(int(entry.name))
                if fields and fields[1] == str(self.server_pid):  # its parent
                    pids.append(int(entry.name))
        return pids

    def database_pids(self) -> list[int]:
        name = urlsplit(self.database_url).path.lstrip("/")
        with psycopg.connect(maintenance_url(self.database_url)) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
            ).fetchall()
        return [pid for (pid,) in rows]

    def cpu(self, pids: list[int]) -> dict[int, float]:
        seconds = {}
        for pid in pids:
            fields = self.stat(pid)
            if fields:
                seconds[pid] = (int(fields[11]) + int(fields[12])) / self.TICKS  # utime + stime
        return seconds

    @classmethod
    def machine_busy(cls) -> float:
        """CPU seconds the whole machine has been busy (all CPUs, all processes)."""
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = values[3] + values[4]  # idle, iowait
        return (sum(values[:8]) - idle) / cls.TICKS  # without guest time, counted in user

    def snapshot(self) -> tuple[dict[int, float], dict[int, float], float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return (
            self.cpu(self.server_pids()),
            self.cpu(self.database_pids()),
            usage.ru_utime + usage.ru_stime,
            self.machine_busy(),
        )

    @contextlib.contextmanager
    def phase(self, figures: dict):
        """Fill ``figures`` with the CPU seconds of gunicorn, PostgreSQL and the bench."""
        server, database, bench, busy = self.snapshot()
        started = time.perf_counter()
        yield
        server_after, database_after, bench_after, busy_after = self.snapshot()
        figures["gunicorn"] = sum(t - server.get(pid, 0) for pid, t in server_after.items())
        figures["postgresql"] = sum(t - database.get(pid, 0) for pid, t in database_after.items())
        figures["bench"] = bench_after - bench
        ours = figures["gunicorn"] + figures["postgresql"] + figures["bench"]
        figures["others"] = max(busy_after - busy - ours, 0.0)
        figures["available"] = (time.perf_counter() - started) * (os.cpu_count() or 1)


def cpu_line(figures: dict, count: int, unit: str) -> str:
    per = (
        f": {figures['gunicorn'] / count * 1000:.1f} + {figures['postgresql'] / count * 1000:.1f} "
        f"ms per {unit}"
        if count
        else ""
    )
    return (
        f"  CPU: gunicorn {figures['gunicorn']:.1f} s, PostgreSQL {figures['postgresql']:.1f} s{per}; "
        f"this bench {figures['bench']:.1f} s; other processes {figures['others']:.1f} s "
        f"(of {figures['available']:.0f} CPU-seconds)"
    )


# --- Phases ---------------------------------------------------------------------------------


def load_form(browser: Browser, tally: Tally) -> FormPage | None:
    page = browser.request("GET", FORM_PATH)
    if page.status != 200:
        tally.add(f"form GET {classify(page)}", get=page.elapsed)
        return None
    tally.add("form loaded", get=page.elapsed)
    form = parse_form(page.text)
    if not form.workshops or "csrfmiddlewaretoken" not in form.hidden:
        tally.add("form page without a form")
        return None
    return form


def rush_member(
    port: int, n: int, run: str, tally: Tally, deadline: float, think_time: float
) -> None:
    """One member: load the form, choose a free workshop per block, submit; choose again if full.

    Between loading the form and submitting it the member thinks for a random
    time of ``think_time`` seconds on average (0: submits at once).
    """
    if time.monotonic() > deadline:
        tally.add("not started (deadline)")
        return
    browser = Browser(port)
    form = load_form(browser, tally)
    if form is None:
        return
    answers = member_answers(n, run)
    if think_time:
        time.sleep(min(random.uniform(0, 2 * think_time), max(deadline - time.monotonic(), 0)))
    for _attempt in range(3):
        choices = {}
        for block_field in form.workshops:
            free = form.free(block_field)
            if not free:
                tally.add("no free workshop in a block")
                return
            choices[block_field] = random.choice(free)
        response = browser.request("POST", FORM_PATH, {**form.hidden, **answers, **choices})
        outcome = classify(response)
        tally.add(outcome, post=response.elapsed)
        if outcome != "workshop full" or time.monotonic() > deadline:
            return
        form = parse_form(response.text)  # the form again, with fresh seat counts


def warm_up(port: int, *, workers: int, clients: int) -> Counter:
    """Each page some times per worker, and a form sent back empty (refused, nothing saved)."""

    def empty_form() -> int:
        browser = Browser(port)
        form = parse_form(browser.request("GET", FORM_PATH).text)
        return browser.request("POST", FORM_PATH, form.hidden).status

    def page(path: str) -> int:
        return Browser(port).request("GET", path).status

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [
            pool.submit(page, path)
            for path in (LIST_PATH, PROGRAMME_PATH, FORM_PATH)
            for _ in range(5 * workers)
        ]
        futures += [pool.submit(empty_form) for _ in range(3 * workers)]
    return Counter(future.result() for future in futures)


def guarded(function, tally: Tally, *args) -> None:
    try:
        function(*args)
    except OSError as error:
        tally.add(f"connection error ({type(error).__name__})")


def run_rush(
    port: int, *, clients: int, registrations: int, run: str, deadline: float, think_time: float
) -> Tally:
    tally = Tally()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for n in range(registrations):
            pool.submit(guarded, rush_member, tally, port, n, run, tally, deadline, think_time)
    tally.ended = time.perf_counter()
    return tally


def run_contention(
    port: int,
    *,
    clients: int,
    attempts: int,
    run: str,
    workshop_id: str,
    block_field: str,
    deadline: float,
) -> Tally:
    """Everyone loads the form first; then all submit it at once for the same workshop."""
    tally = Tally()
    loaded: list[tuple[Browser, FormPage, int]] = []

    def load(n: int) -> None:
        if time.monotonic() > deadline:
            return
        browser = Browser(port)
        form = load_form(browser, tally)
        if form is not None:
            with tally.lock:
                loaded.append((browser, form, n))

    def submit(browser: Browser, form: FormPage, n: int) -> None:
        if time.monotonic() > deadline:
            return
        choices = {name: random.choice(form.free(name) or ["0"]) for name in form.workshops}
        choices[block_field] = workshop_id  # even if this page showed it full: a stale page
        response = browser.request(
            "POST", FORM_PATH, {**form.hidden, **member_answers(n, run), **choices}
        )
        tally.add(classify(response), post=response.elapsed)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for n in range(attempts):
            pool.submit(guarded, load, tally, n)
    tally.started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for browser, form, n in loaded:
            pool.submit(guarded, submit, tally, browser, form, n)
    tally.ended = time.perf_counter()
    return tally


@dataclass
class PageFigures:
    path: str
    requests: int
    seconds: float
    statuses: Counter
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_page(port: int, path: str, *, clients: int, requests: int, seconds: float) -> PageFigures:
    """GET one page ``requests`` times from ``clients`` threads, stopping after ``seconds``."""
    statuses: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def fetch() -> None:
        if time.monotonic() > stop:
            return
        try:
            response = Browser(port).request("GET", path)
        except OSError as error:
            with lock:
                statuses[f"connection error ({type(error).__name__})"] += 1
            return
        with lock:
            statuses[response.status] += 1
            latencies.append(response.elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for _ in range(requests):
            pool.submit(fetch)
    elapsed = time.perf_counter() - started
    return PageFigures(path, sum(statuses.values()), elapsed, statuses, latencies)


# --- The database ---------------------------------------------------------------------------


def maintenance_url(database_url: str) -> str:
    return urlsplit(database_url)._replace(path="/postgres").geturl()


def recreate_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        sys.exit(f"refusing to drop a database on {parts.hostname}: local PostgreSQL only")
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    with psycopg.connect(maintenance_url(database_url), autocommit=True) as connection:
        identifier = sql.Identifier(name)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))


def settle(database_url: str) -> float:
    """Write out what the setup or the last phase changed (PostgreSQL's ``CHECKPOINT``),
    so that its writes are not flushed to disk while the next phase is measured;
    seconds taken. Each phase then starts from a quiet disk, as the first did.
    """
    started = time.perf_counter()
    with psycopg.connect(maintenance_url(database_url), autocommit=True) as connection:
        connection.execute("CHECKPOINT")
    return time.perf_counter() - started


def deadlocks(database_url: str) -> int:
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(maintenance_url(database_url)) as connection:
        row = connection.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()
    return row[0] if row else 0


def event_id(connection) -> int:
    return connection.execute("SELECT id FROM events_event WHERE slug = %s", [SLUG]).fetchone()[0]


def ensure_room(database_url: str, registrations: int) -> str | None:
    """Scale the demo's capacities up when a block has fewer seats than the rush needs."""
    with psycopg.connect(database_url) as connection:
        smallest = connection.execute(
            """
            SELECT MIN(seats) FROM (
                SELECT SUM(w.capacity) AS seats FROM events_workshop w
                JOIN events_workshopblock b ON b.id = w.block_id
                WHERE b.event_id = %s GROUP BY b.id) AS blocks
            """,
            [event_id(connection)],
        ).fetchone()[0]
        wanted = math.ceil(registrations * 1.25)
        if smallest >= wanted:
            return None
        factor = math.ceil(wanted / smallest)
        connection.execute(
            """
            UPDATE events_workshop SET capacity = capacity * %s WHERE block_id IN (
                SELECT id FROM events_workshopblock WHERE event_id = %s)
            """,
            [factor, event_id(connection)],
        )
    return (
        f"the demo's smallest block has {smallest} seats; capacities scaled x{factor} "
        f"so that {registrations} members fit"
    )


def set_ten_seats_left(database_url: str, workshop_id: int) -> tuple[int, int]:
    with psycopg.connect(database_url) as connection:
        taken = connection.execute(
            "SELECT COUNT(*) FROM registrations_seat WHERE workshop_id = %s", [workshop_id]
        ).fetchone()[0]
        connection.execute(
            "UPDATE events_workshop SET capacity = %s WHERE id = %s", [taken + 10, workshop_id]
        )
    return taken, taken + 10


@dataclass
class Check:
    label: str
    value: int
    ok: bool


def check_database(database_url: str, *, registered: dict[str, int]) -> list[Check]:
    """The seat invariant, counted in the database after the run.

    ``registered`` maps each phase's e-mail prefix to the registrations its
    members were told of (a 302 to the confirmation page).
    """
    with psycopg.connect(database_url) as connection:
        event = event_id(connection)
        blocks = connection.execute(
            "SELECT COUNT(*) FROM events_workshopblock WHERE event_id = %s", [event]
        ).fetchone()[0]
        oversold = connection.execute(
            """
            SELECT COUNT(*) FROM (
                SELECT w.id FROM events_workshop w
                LEFT JOIN registrations_seat s ON s.workshop_id = w.id
                GROUP BY w.id, w.capacity HAVING COUNT(s.id) > w.capacity) AS over
            """
        ).fetchone()[0]
        oversold_seats = connection.execute(
            """
            SELECT COALESCE(SUM(taken - capacity), 0) FROM (
                SELECT w.capacity, COUNT(s.id) AS taken FROM events_workshop w
                LEFT JOIN registrations_seat s ON s.workshop_id = w.id
                GROUP BY w.id, w.capacity) AS counts WHERE taken > capacity
            """
        ).fetchone()[0]
        wrong_seats = connection.execute(
            """
            SELECT COUNT(*) FROM registrations_registration r
            WHERE r.event_id = %s AND r.status = 'confirmed' AND (
                SELECT COUNT(DISTINCT s.block_id) * 1000 + COUNT(*)
                FROM registrations_seat s WHERE s.registration_id = r.id
            ) <> %s
            """,
            [event, blocks * 1000 + blocks],
        ).fetchone()[0]
        seats_without_confirmation = connection.execute(
            """
            SELECT COUNT(*) FROM registrations_seat s
            JOIN registrations_registration r ON r.id = s.registration_id
            WHERE r.status <> 'confirmed'
            """
        ).fetchone()[0]
        seat_in_wrong_block = connection.execute(
            """
            SELECT COUNT(*) FROM registrations_seat s
            JOIN events_workshop w ON w.id = s.workshop_id WHERE w.block_id <> s.block_id
            """
        ).fetchone()[0]
        miscounted = connection.execute(
            """
            SELECT COUNT(*) FROM events_workshop w WHERE w.seats_taken
                <> (SELECT COUNT(*) FROM registrations_seat s WHERE s.workshop_id = w.id)
            """
        ).fetchone()[0]
        confirmed = {
            prefix: connection.execute(
                """
                SELECT COUNT(*) FROM registrations_registration
                WHERE event_id = %s AND status = 'confirmed' AND email LIKE %s
                """,
                [event, prefix + "%"],
            ).fetchone()[0]
            for prefix in registered
        }
    return [
        Check("workshops over capacity", oversold, oversold == 0),
        Check("seats beyond capacity", oversold_seats, oversold_seats == 0),
        Check(f"confirmed without exactly 1 seat in each of {blocks} blocks", wrong_seats, not wrong_seats),
        Check("seats of unconfirmed registrations", seats_without_confirmation, not seats_without_confirmation),
        Check("seats in another block than their workshop", seat_in_wrong_block, not seat_in_wrong_block),
        Check("workshops whose seats_taken is not their seat rows", miscounted, not miscounted),
        *(
            Check(f"confirmed {prefix}* (HTTP said {told})", confirmed[prefix], confirmed[prefix] == told)
            for prefix, told in registered.items()
        ),
    ]  # fmt: skip


# --- The server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "DATA_DIR": str(data_dir),
        "STATIC_ROOT": str(data_dir / "static"),
        "LOG_LEVEL": "WARNING",
        # Every member comes from this one address here; in a real rush each has
        # its own. The rate limit is for floods, so it must not count these.
        "RATELIMIT_TRUSTED_ADDRESSES": HOST,
        # Keep each worker's database connection for the whole run, so that the
        # CPU of its PostgreSQL backend can be read (production: 60 s).
        "CONN_MAX_AGE": "3600",
    }


def manage(environment: dict[str, str], *arguments: str) -> None:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, str(BASE_DIR / "manage.py"), *arguments],
        env=environment,
        cwd=BASE_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    print(f"  manage.py {' '.join(arguments)}: {time.perf_counter() - started:.1f} s")


@contextlib.contextmanager
def gunicorn(environment: dict[str, str], *, workers: int, log: Path):
    """gunicorn on a free local port; stopped (the process started here, by its PID) on exit."""
    port = free_port()
    with log.open("wb") as stderr:
        server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
            [
                str(BIN_DIR / "gunicorn"),
                "fagdag.wsgi",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
            ],
            env=environment,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_until_answering(server, port)
        print(f"  gunicorn pid {server.pid}, {workers} workers, http://{HOST}:{port}/")
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_answering(server: subprocess.Popen, port: int, seconds: float = 60) -> None:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode} before answering")
        with contextlib.suppress(OSError):
            if Browser(port).request("GET", LIST_PATH).status == 200:
                return
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer within {seconds:.0f} s")


def describe_machine() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}, {speed_check():.0f} ms for the speed check"


def speed_check() -> float:
    """Milliseconds of CPU for a fixed piece of pure Python: the machine's speed of the moment.

    A shared machine's speed moves by a fourth and more from one minute to
    the next; this number moves with it, so runs can be compared.
    """
    started = time.process_time()
    total = 0
    for n in range(2_000_000):
        total += n * n % 7
    return (time.process_time() - started) * 1000


# --- Main -----------------------------------------------------------------------------------


def print_ratios(rush, rush_cpu, contention, contention_cpu, pages, trivial_path) -> None:
    """The figures of this run as ratios, which hold from one day to the next although the
    machine's speed does not: a refused member against a registered one, pages against a
    trivial view."""

    def per_member(tally: Tally, cpu: dict) -> float:
        members = tally.outcomes["form loaded"]
        return cpu["gunicorn"] / members * 1000 if members and cpu else 0.0

    def ratio(numerator: float, denominator: float) -> str:
        return f"{numerator / denominator:.2f}" if denominator else "n/a"

    rush_cpu_ms, contention_cpu_ms = (
        per_member(rush, rush_cpu),
        per_member(contention, contention_cpu),
    )
    rush_p95 = percentile(rush.post_latencies, 95)
    contention_p95 = percentile(contention.post_latencies, 95)
    rates = {figures.path: figures.per_second for figures in pages}
    trivial = rates.get(trivial_path, 0.0)
    print("  ratios on this run:")
    print(
        f"    (b)/(a) gunicorn CPU per member (GET + POST): {contention_cpu_ms:.1f} / "
        f"{rush_cpu_ms:.1f} ms = {ratio(contention_cpu_ms, rush_cpu_ms)} (target at most 1)"
    )
    print(
        f"    (b)/(a) POST p95: {contention_p95:.0f} / {rush_p95:.0f} ms = "
        f"{ratio(contention_p95, rush_p95)} (target at most 1)"
    )
    for path, target in ((PROGRAMME_PATH, 0.3), (LIST_PATH, 0.5)):
        if path in rates:
            print(
                f"    {path} / {trivial_path} req/s: {rates[path]:.1f} / {trivial:.1f} = "
                f"{ratio(rates[path], trivial)} (target at least {target})"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fagdag_bench")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=50, help="concurrent members (threads)")
    parser.add_argument("--registrations", type=int, default=1500, help="members in the rush")
    parser.add_argument("--contention", type=int, default=300, help="members for one workshop")
    parser.add_argument("--page-requests", type=int, default=1000, help="GETs per page in (c)")
    parser.add_argument("--trivial-path", default="/healthz", help="a trivial view, for (c)")
    parser.add_argument("--deadline", type=float, default=300, help="seconds for all phases")
    parser.add_argument(
        "--think-time",
        type=float,
        default=0,
        help="mean seconds a member of the rush spends between loading and submitting the form",
    )
    arguments = parser.parse_args()
    run = secrets.token_hex(3)
    random.seed(run)

    with tempfile.TemporaryDirectory(prefix="fagdag-bench-") as temporary:
        data_dir = Path(temporary)
        environment = server_environment(arguments.db, data_dir)
        print(f"== setup (run {run}) ==")
        print(f"  {describe_machine()}")
        recreate_database(arguments.db)
        print(f"  database {urlsplit(arguments.db).path.lstrip('/')} dropped and created")
        manage(environment, "migrate", "--no-input")
        manage(environment, "createcachetable")
        manage(environment, "load_demo")
        manage(environment, "collectstatic", "--no-input")
        note = ensure_room(arguments.db, arguments.registrations)
        if note:
            print(f"  note: {note}")
        deadlocks_before = deadlocks(arguments.db)
        log = data_dir / "gunicorn.log"
        deadline = time.monotonic() + arguments.deadline

        with gunicorn(environment, workers=arguments.workers, log=log) as (port, server_pid):
            statuses = warm_up(port, workers=arguments.workers, clients=arguments.clients)
            print(f"  warm-up (not measured): {dict(statuses)}")
            if set(statuses) != {200}:
                sys.exit("warm-up: a page did not answer 200")
            meter = CpuMeter(server_pid, arguments.db)
            rush_cpu, contention_cpu = {}, {}
            print(f"  CHECKPOINT before the phase: {settle(arguments.db):.2f} s")
            with meter.phase(rush_cpu):
                rush = run_rush(
                    port,
                    clients=arguments.clients,
                    registrations=arguments.registrations,
                    run=run,
                    deadline=deadline,
                    think_time=arguments.think_time,
                )
            print_tally(
                f"(a) rush: {arguments.registrations} members, {arguments.clients} at once",
                rush,
                rush_cpu,
            )

            form = parse_form(Browser(port).request("GET", FORM_PATH).text)
            block_field = next(iter(form.workshops))
            workshop_id = form.free(block_field)[0]
            taken, capacity = set_ten_seats_left(arguments.db, int(workshop_id))
            print(
                f"\n  workshop {workshop_id} ({block_field}): capacity set to {capacity}, {taken} taken"
            )
            print(f"  CHECKPOINT before the phase: {settle(arguments.db):.2f} s")
            with meter.phase(contention_cpu):
                contention = run_contention(
                    port,
                    clients=arguments.clients,
                    attempts=arguments.contention,
                    run=run + "c",
                    workshop_id=workshop_id,
                    block_field=block_field,
                    deadline=deadline,
                )
            print_tally(
                f"(b) contention: {arguments.contention} members for 1 workshop with 10 seats left",
                contention,
                contention_cpu,
            )

            print("\n== (c) pages: GET requests per second ==")
            print(f"  CHECKPOINT before the phase: {settle(arguments.db):.2f} s")
            pages = []
            for path in (PROGRAMME_PATH, LIST_PATH, arguments.trivial_path):
                seconds_left = deadline - time.monotonic()
                if seconds_left <= 1:
                    print(f"  {path}: skipped, the deadline has passed")
                    continue
                if Browser(port).request("GET", path).status == 404:
                    print(f"  {path}: 404, no such view here; comparison skipped")
                    continue
                page_cpu = {}
                with meter.phase(page_cpu):
                    figures = run_page(
                        port,
                        path,
                        clients=arguments.clients,
                        requests=arguments.page_requests,
                        seconds=min(seconds_left, 60),
                    )
                pages.append(figures)
                statuses = ", ".join(f"{status}: {n}" for status, n in figures.statuses.items())
                print(
                    f"  {path:<42} {figures.per_second:7.1f} req/s  "
                    f"p50={percentile(figures.latencies, 50):6.1f} ms  "
                    f"p95={percentile(figures.latencies, 95):6.1f} ms  ({statuses})"
                )
                print("  " + cpu_line(page_cpu, figures.requests, "request"))

        server_log = log.read_text(errors="replace")
        deadlocks_during = deadlocks(arguments.db) - deadlocks_before
        checks = check_database(
            arguments.db,
            registered={
                f"bench-{run}-": rush.registered,
                f"bench-{run}c-": contention.registered,
            },
        )
        contention_ok = contention.registered == 10

    print("\n== the database afterwards ==")
    invariant_ok = all(check.ok for check in checks) and contention_ok
    for check in checks:
        print(f"  {'ok  ' if check.ok else 'FAIL'} {check.label:<58} {check.value}")
    print(
        f"  {'ok  ' if contention_ok else 'FAIL'} {'contention winners (exactly 10)':<58} "
        f"{contention.registered}"
    )
    log_deadlocks = server_log.lower().count("deadlock")
    tracebacks = server_log.count("Traceback")
    server_errors = rush.server_errors + contention.server_errors
    checks += [
        Check("deadlocks (pg_stat_database)", deadlocks_during, not deadlocks_during),
        Check("'deadlock' in the gunicorn log", log_deadlocks, not log_deadlocks),
        Check("tracebacks in the gunicorn log", tracebacks, not tracebacks),
        Check("5xx answers", server_errors, not server_errors),
    ]
    for check in checks[-4:]:
        print(f"  {'ok  ' if check.ok else 'FAIL'} {check.label:<58} {check.value}")

    p95 = percentile(rush.post_latencies, 95)
    print("\n== summary ==")
    print(f"  {describe_machine()}; think time {arguments.think_time:g} s")
    print(
        f"  {'phase':<14} {'members':>8} {'registered':>10} {'reg/s':>7} {'POST p50':>9} {'p95':>8} {'p99':>8} {'5xx':>5}"
    )
    for label, tally in (("(a) rush", rush), ("(b) contention", contention)):
        members = tally.outcomes["form loaded"]
        print(
            f"  {label:<14} {members:>8} {tally.registered:>10} "
            f"{tally.registered / tally.seconds:>7.1f} {percentile(tally.post_latencies, 50):>7.0f}ms "
            f"{percentile(tally.post_latencies, 95):>6.0f}ms {percentile(tally.post_latencies, 99):>6.0f}ms "
            f"{tally.server_errors:>5}"
        )
    for figures in pages:
        print(
            f"  GET {figures.path:<38} {figures.per_second:>7.1f} req/s  "
            f"p95 {percentile(figures.latencies, 95):.0f} ms"
        )
    targets = [
        ("zero oversold seats, HTTP and database agree", invariant_ok),
        ("zero 5xx", not server_errors),
        ("zero deadlocks", not deadlocks_during and not log_deadlocks),
        (f"rush POST p95 under 300 ms ({p95:.0f} ms)", p95 < 300),
    ]
    for label, ok in targets:
        print(f"  target {'met   ' if ok else 'MISSED'} {label}")
    print_ratios(rush, rush_cpu, contention, contention_cpu, pages, arguments.trivial_path)
    errors = [line for line in server_log.splitlines() if "ERROR" in line or "Traceback" in line]
    if errors:
        print(
            f"\n== gunicorn log: {len(errors)} error lines, the first 10 (cut at 400 characters) =="
        )
        for line in errors[:10]:
            print(f"  {line[:400]}")
    return 0 if all(ok for _, ok in targets[:3]) else 1


if __name__ == "__main__":
    sys.exit(main())
