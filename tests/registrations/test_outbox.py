"""Delivery of the outbox against a real SMTP server (aiosmtpd on 127.0.0.1).

The server accepts, refuses (550 or 451), is slow to answer, or holds a
message until the test lets it go. In-process tests drive ``outbox.send_due``;
the worker tests start ``manage.py mail_worker`` as its own process, kill it
mid-send (SIGKILL, two SIGTERMs), start another and count what arrives.
"""

import asyncio
import datetime
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email import policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registrations import outbox, services
from registrations.models import OutgoingEmail, Registration
from tests.factories import make_event, make_registration

pytestmark = pytest.mark.django_db

SITE = "https://fagdag.example.org"
NOW = datetime.datetime(2030, 4, 1, 9, 0, tzinfo=datetime.UTC)


class MailServer:
    """An SMTP server's handler: what it does with the next mails, and what it has taken.

    ``mode``: "accept"; "refuse" (550 to every recipient); "busy" (451);
    "slow" (takes the message at once, answers after ``delay`` seconds, as a
    server that queued it and is slow to say so); "hold" (waits with its
    answer until ``release`` is set, and takes the message only if the
    client is still there to hear it).
    """

    def __init__(self):
        self.mode = "accept"
        self.delay = 0.0
        self.received = []
        self.data_arrived = threading.Event()
        self.release = threading.Event()

    def messages(self) -> list[email.message.EmailMessage]:
        return list(self.received)

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages()]

    def _take(self, envelope) -> None:
        self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "refuse":
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.mode == "busy":
            return f"451 4.3.0 <{address}>: Temporary lookup failure"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "slow":
            self._take(envelope)
            await asyncio.sleep(self.delay)
        elif self.mode == "hold":
            self.data_arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            # A client that is gone cancels this coroutine: the mail is not taken.
            self._take(envelope)
        else:
            self._take(envelope)
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def smtp_server(settings):
    handler = MailServer()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "registrations.outbox.SMTPBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    # Margins of seconds, not fractions: a loaded CI machine answers late, never early.
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_DATA_TIMEOUT = 12
    handler.port = port
    yield handler
    handler.release.set()
    controller.stop()


@pytest.fixture(autouse=True)
def _the_worker_sends(settings):
    """Mails wait in the outbox until a worker (``send_due`` or the command) sends them."""
    settings.EMAIL_DELIVER_ON_COMMIT = False
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "fagdag <noreply@fagdag.example.org>"


def registration_of(event, email_address="anne@example.org"):
    return make_registration(event, name="Anne Steffensen", email=email_address)


# --- in this process -------------------------------------------------------------------


def test_a_mail_arrives_once_with_the_message_id_of_its_outbox_row(smtp_server):
    registration = registration_of(make_event(title="Børn & unge"))
    [outgoing] = OutgoingEmail.objects.all()

    assert outbox.send_due() == 1

    [message] = smtp_server.messages()
    outgoing.refresh_from_db()
    assert message["Message-ID"] == outgoing.message_id
    assert outgoing.message_id.startswith(f"<confirmation.{registration.pk}.")
    assert outgoing.message_id.endswith("@fagdag.example.org>")
    assert message["To"] == "anne@example.org"
    # Subjects are plain text, not HTML-escaped.
    assert message["Subject"] == "Tilmelding bekræftet: Børn & unge"
    assert (outgoing.status, outgoing.attempts) == (OutgoingEmail.Status.SENT, 1)
    assert outbox.send_due() == 0
    assert len(smtp_server.messages()) == 1


def test_each_mail_has_its_own_message_id_and_keeps_it(smtp_server):
    registration = registration_of(make_event())
    services.cancel(registration=registration)

    outbox.send_due()

    assert sorted(OutgoingEmail.objects.values_list("kind", "status")) == [
        ("cancelled", "sent"),
        ("confirmation", "dropped"),  # overtaken by the cancellation
    ]
    [message] = smtp_server.messages()
    assert message["Message-ID"] == OutgoingEmail.objects.get(kind="cancelled").message_id
    assert message["Message-ID"].startswith(f"<cancelled.{registration.pk}.")


def test_a_refused_recipient_is_flagged_at_once_and_never_tried_again(smtp_server, caplog):
    smtp_server.mode = "refuse"
    registration = registration_of(make_event())

    with time_machine.travel(NOW, tick=False):
        outbox.send_due()
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert outbox.send_due() == 0

    outgoing = OutgoingEmail.objects.get()
    registration.refresh_from_db()
    assert (outgoing.status, outgoing.attempts, outgoing.last_error) == (
        OutgoingEmail.Status.REFUSED,
        1,
        "RCPT 550",
    )
    assert registration.email_failed_at == NOW
    assert smtp_server.messages() == []
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("registrations"))
    assert "refused by the mail server (RCPT 550)" in ours
    assert "anne@example.org" not in ours


def test_a_temporary_refusal_is_tried_again_later_and_flagged_after_the_last_try(
    smtp_server, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 3
    smtp_server.mode = "busy"
    registration = registration_of(make_event())
    outgoing = OutgoingEmail.objects.get()

    with time_machine.travel(NOW, tick=False):
        outbox.send_due()
        outgoing.refresh_from_db()
        assert (outgoing.status, outgoing.due_at) == (
            "pending",
            NOW + datetime.timedelta(minutes=1),
        )
        assert outbox.send_due() == 0  # not yet due
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        outbox.send_due()
    outgoing.refresh_from_db()
    assert (outgoing.status, outgoing.attempts) == ("pending", 2)
    assert Registration.objects.get(pk=registration.pk).email_failed_at is None
    with time_machine.travel(NOW + datetime.timedelta(minutes=6), tick=False):
        outbox.send_due()

    outgoing.refresh_from_db()
    assert (outgoing.status, outgoing.attempts, outgoing.last_error) == ("failed", 3, "RCPT 451")
    assert Registration.objects.get(pk=registration.pk).email_failed_at is not None
    assert smtp_server.messages() == []


def test_a_temporary_refusal_then_acceptance_delivers_one_copy(smtp_server):
    smtp_server.mode = "busy"
    registration = registration_of(make_event())

    with time_machine.travel(NOW, tick=False):
        outbox.send_due()
    smtp_server.mode = "accept"
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        outbox.send_due()

    assert [message["To"] for message in smtp_server.messages()] == ["anne@example.org"]
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    assert Registration.objects.get(pk=registration.pk).email_failed_at is None


def test_a_server_slower_than_the_command_timeout_gets_one_copy_and_no_flag(smtp_server):
    """It answers the end of the message after 5 s: past EMAIL_TIMEOUT (2 s), within
    EMAIL_DATA_TIMEOUT (12 s), the time RFC 5321 gives that answer."""
    smtp_server.mode = "slow"
    smtp_server.delay = 5
    registration = registration_of(make_event())

    outbox.send_due()

    assert len(smtp_server.messages()) == 1
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    assert Registration.objects.get(pk=registration.pk).email_failed_at is None


def test_a_server_silent_past_every_timeout_gets_the_mail_again_with_the_same_message_id(
    smtp_server, settings
):
    """It took the message but answers too late: not "not delivered", but tried again."""
    settings.EMAIL_DATA_TIMEOUT = 1
    smtp_server.mode = "slow"
    smtp_server.delay = 4
    registration = registration_of(make_event())

    with time_machine.travel(NOW, tick=False):
        outbox.send_due()
    outgoing = OutgoingEmail.objects.get()
    assert (outgoing.status, outgoing.last_error) == ("pending", "SMTPServerDisconnected")
    assert Registration.objects.get(pk=registration.pk).email_failed_at is None
    smtp_server.mode = "accept"
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        outbox.send_due()

    outgoing.refresh_from_db()
    assert outgoing.status == OutgoingEmail.Status.SENT
    assert smtp_server.message_ids() == [outgoing.message_id, outgoing.message_id]
    assert Registration.objects.get(pk=registration.pk).email_failed_at is None


def test_after_the_last_unanswered_try_the_mail_is_uncertain_and_not_flagged(smtp_server, settings):
    settings.EMAIL_MAX_ATTEMPTS = 1
    settings.EMAIL_DATA_TIMEOUT = 1
    smtp_server.mode = "slow"
    smtp_server.delay = 4
    registration = registration_of(make_event())

    outbox.send_due()

    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.UNCERTAIN
    assert Registration.objects.get(pk=registration.pk).email_failed_at is None


def test_an_unreachable_mail_server_is_tried_again_and_flagged_after_the_last_try(settings):
    settings.EMAIL_BACKEND = "registrations.outbox.SMTPBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 1, False
    settings.EMAIL_MAX_ATTEMPTS = 2
    registration = registration_of(make_event())

    with time_machine.travel(NOW, tick=False):
        outbox.send_due()
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        outbox.send_due()

    outgoing = OutgoingEmail.objects.get()
    assert (outgoing.status, outgoing.last_error) == ("failed", "ConnectionRefusedError")
    assert Registration.objects.get(pk=registration.pk).email_failed_at is not None


def test_a_mail_whose_worker_died_is_claimed_again_when_its_lease_ends(settings):
    settings.EMAIL_LEASE_SECONDS = 300
    registration_of(make_event())

    with time_machine.travel(NOW, tick=False):
        first = outbox.claim()  # ... and the worker dies here
        assert outbox.claim() is None
    with time_machine.travel(NOW + datetime.timedelta(seconds=301), tick=False):
        second = outbox.claim()

    assert (first.pk, first.attempts) == (second.pk, 1)
    assert second.attempts == 2


def test_a_mail_whose_worker_died_at_every_try_is_given_up_as_uncertain(settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    settings.EMAIL_LEASE_SECONDS = 10
    registration = registration_of(make_event())

    with time_machine.travel(NOW, tick=False):
        outbox.claim()
    with time_machine.travel(NOW + datetime.timedelta(seconds=11), tick=False):
        outbox.claim()
    with time_machine.travel(NOW + datetime.timedelta(seconds=22), tick=False):
        assert outbox.claim() is None

    outgoing = OutgoingEmail.objects.get()
    assert (outgoing.status, outgoing.attempts) == ("uncertain", 2)
    assert Registration.objects.get(pk=registration.pk).email_failed_at is None


def test_the_mail_folder_and_the_outbox_forget_an_erased_attendee(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "registrations.outbox.MailFolderBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    event = make_event()
    anne = registration_of(event, "anne@example.org")
    bo = registration_of(event, "bo.holm@example.org")
    outbox.send_due()
    assert len(list(tmp_path.glob("*.eml"))) == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.erase(registration=anne)

    assert OutgoingEmail.objects.filter(registration=anne).count() == 0
    assert OutgoingEmail.objects.filter(registration=bo).count() == 1
    [kept] = tmp_path.glob("*.eml")
    assert b"bo.holm@example.org" in kept.read_bytes()
    assert not any(b"anne@example.org" in path.read_bytes() for path in tmp_path.iterdir())


def test_erasure_deletes_old_mail_task_results_that_name_the_attendee():
    anne = registration_of(make_event())
    result = DBTaskResult.objects.create(
        task_path="registrations.tasks.send_registration_email",
        args_kwargs={"args": [anne.pk, "confirmation"], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
        status="FAILED",
        exception_class_path="smtplib.SMTPRecipientsRefused",
        traceback="SMTPRecipientsRefused: {'anne@example.org': (550, b'User unknown')}",
    )

    services.erase(registration=anne)

    assert not DBTaskResult.objects.filter(pk=result.pk).exists()


def test_finished_mails_and_task_results_are_pruned_after_the_keep_period(settings, smtp_server):
    settings.EMAIL_OUTBOX_KEEP_DAYS = 2
    with time_machine.travel(NOW, tick=False):
        registration_of(make_event())
        outbox.send_due()
        DBTaskResult.objects.create(
            task_path="registrations.tasks.send_registration_email",
            args_kwargs={"args": [1, "confirmation"], "kwargs": {}},
            backend_name="default",
            run_after=NOW,
            status="SUCCESSFUL",
            finished_at=NOW,
        )
        registration_of(make_event(), "bo@example.org")  # still pending: kept

    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert outbox.prune() == {"emails": 0, "task_results": 0}
    with time_machine.travel(NOW + datetime.timedelta(days=2, seconds=1), tick=False):
        assert outbox.prune() == {"emails": 1, "task_results": 1}

    assert list(OutgoingEmail.objects.values_list("status", flat=True)) == ["pending"]


def test_the_worker_command_in_batch_mode_sends_what_is_due(smtp_server):
    event = make_event()
    for n in range(3):
        registration_of(event, f"person{n}@example.org")

    call_command("mail_worker", "--batch")

    assert sorted(message["To"] for message in smtp_server.messages()) == [
        "person0@example.org",
        "person1@example.org",
        "person2@example.org",
    ]
    assert len(set(smtp_server.message_ids())) == 3
    assert mail.outbox == []


# --- production settings ------------------------------------------------------------------


def run_manage(env, *arguments):
    return subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "manage.py", *arguments],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_a_mail_server_or_site_address_fails_the_deploy_check(production_env):
    env = {k: v for k, v in production_env.items() if k not in {"EMAIL_HOST", "SITE_URL"}}

    check = run_manage(env, "check", "--deploy")
    worker = run_manage(env, "mail_worker", "--batch")
    backend = run_manage(
        env, "shell", "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    )

    assert check.returncode != 0
    assert "fagdag.E201" in check.stderr + check.stdout
    assert "fagdag.E202" in check.stderr + check.stdout
    assert worker.returncode != 0
    assert "Set EMAIL_HOST and SITE_URL" in worker.stderr
    # Never the mail folder: production writes no mail to disk.
    assert backend.stdout.strip().splitlines()[-1] == "registrations.outbox.NoMailServerBackend"


# --- the worker as its own process ----------------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def worker_env(smtp_server, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DEBUG="1",
        DATABASE_URL=database_url(),
        DATA_DIR=str(tmp_path),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_USE_TLS="0",
        EMAIL_TIMEOUT="3",
        EMAIL_DATA_TIMEOUT="30",
        EMAIL_LEASE_SECONDS="3",
        SITE_URL=SITE,
        DEFAULT_FROM_EMAIL="fagdag <noreply@fagdag.example.org>",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(django_settings.BASE_DIR),
    )
    return env


class Worker:
    """``manage.py mail_worker`` in a process of its own; its log lines are collected."""

    def __init__(self, env):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "mail_worker", "--interval", "0.2"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def output_so_far(self) -> str:
        return "".join(self.lines)

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        return self.wait()

    def wait(self) -> tuple[int, str]:
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        return self.process.returncode, self.output_so_far()


@pytest.fixture
def workers(worker_env):
    started = []

    def start():
        worker = Worker(worker_env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def wait_for(condition, *, timeout=60.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"waited {timeout} s for {what}")


def statuses() -> list[str]:
    connections.close_all()  # a fresh read of what the worker wrote
    return list(OutgoingEmail.objects.order_by("pk").values_list("status", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_and_a_first_sigterm_lets_the_mail_being_sent_finish(smtp_server, workers):
    smtp_server.mode = "hold"
    registration_of(make_event())
    worker = workers()
    wait_for(smtp_server.data_arrived.is_set, what="the mail to reach the server")

    worker.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    smtp_server.release.set()
    returncode, output = worker.wait()

    assert returncode == 0, output
    assert len(smtp_server.messages()) == 1
    assert statuses() == ["sent"]


@pytest.mark.parametrize("kill", ["SIGKILL", "two SIGTERMs"])
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_leaves_the_mail_to_the_next_worker(smtp_server, workers, kill):
    smtp_server.mode = "hold"
    registration = registration_of(make_event())
    outgoing = OutgoingEmail.objects.get()
    first = workers()
    wait_for(smtp_server.data_arrived.is_set, what="the mail to reach the server")

    if kill == "SIGKILL":
        first.process.kill()
    else:
        first.process.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        first.process.send_signal(signal.SIGTERM)
    first.process.wait(timeout=30)
    assert first.process.returncode != 0
    smtp_server.release.set()  # too late: the client is gone, the server takes nothing
    time.sleep(0.3)
    assert smtp_server.messages() == []
    assert statuses() == ["pending"]

    smtp_server.mode = "accept"
    second = workers()
    wait_for(lambda: smtp_server.messages(), what="the mail sent again after the lease")
    wait_for(lambda: statuses() == ["sent"], what="the mail recorded as sent")
    time.sleep(1)  # nothing more arrives
    returncode, output = second.stop()

    assert returncode == 0, output
    assert smtp_server.message_ids() == [outgoing.message_id]
    outgoing.refresh_from_db()
    assert outgoing.attempts == 2
    assert Registration.objects.get(pk=registration.pk).email_failed_at is None


@pytest.mark.django_db(transaction=True)
def test_a_mail_the_server_took_before_the_kill_comes_again_with_the_same_message_id(
    smtp_server, workers
):
    """At least once: the server took the message, the worker died before hearing so."""
    smtp_server.mode = "slow"
    smtp_server.delay = 30
    registration_of(make_event())
    outgoing = OutgoingEmail.objects.get()
    first = workers()
    wait_for(lambda: smtp_server.messages(), what="the server to take the mail")

    first.process.kill()
    first.process.wait(timeout=30)
    smtp_server.mode = "accept"
    workers()
    wait_for(lambda: len(smtp_server.messages()) == 2, what="the second copy")
    wait_for(lambda: statuses() == ["sent"], what="the mail recorded as sent")

    assert smtp_server.message_ids() == [outgoing.message_id, outgoing.message_id]


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_of_many_mails_exactly_once(smtp_server, workers):
    event = make_event()
    workers()
    workers()
    for n in range(12):
        registration_of(event, f"person{n}@example.org")

    wait_for(lambda: len(smtp_server.messages()) >= 12, what="twelve mails")
    wait_for(lambda: statuses() == ["sent"] * 12, what="every mail recorded as sent")
    time.sleep(0.5)

    assert sorted(message["To"] for message in smtp_server.messages()) == sorted(
        f"person{n}@example.org" for n in range(12)
    )
    assert sorted(smtp_server.message_ids()) == sorted(
        OutgoingEmail.objects.values_list("message_id", flat=True)
    )


def cut_the_workers_database_connections() -> None:
    """PostgreSQL: end every other session of the test database, as a restart would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def point(link, target) -> None:
    """Make the symbolic link ``link`` point at ``target`` in one step (``os.replace``)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    staged = link.with_name(link.name + ".new")
    staged.unlink(missing_ok=True)
    staged.symlink_to(target)
    os.replace(staged, link)


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_a_lost_database(smtp_server, workers, worker_env, tmp_path):
    event = make_event()
    registration_of(event, "first@example.org")
    if connection.vendor == "sqlite":
        # SQLite: the worker opens the database through a symbolic link (SQLite
        # follows it, so its journal is the one of the file the tests use), and
        # the database is away while the link points into a directory that does
        # not exist: every connection the worker opens then fails, and nothing is
        # made in the database's place. Nothing of the file itself is moved.
        link = tmp_path / "worker" / "fagdag.sqlite3"
        point(link, connection.settings_dict["NAME"])
        worker_env["DATABASE_URL"] = f"sqlite:///{link}"
    worker = workers()
    wait_for(lambda: len(smtp_server.messages()) == 1, what="the first mail")

    if connection.vendor == "postgresql":
        cut_the_workers_database_connections()
    else:
        point(link, tmp_path / "nowhere" / "fagdag.sqlite3")
        wait_for(lambda: "lost the database" in worker.output_so_far(), what="the worker to notice")
        assert not (tmp_path / "nowhere").exists()
        point(link, connection.settings_dict["NAME"])
    registration_of(event, "second@example.org")

    wait_for(lambda: len(smtp_server.messages()) == 2, what="the mail after the outage")
    assert worker.process.poll() is None
    returncode, output = worker.stop()
    assert returncode == 0, output
    assert [message["To"] for message in smtp_server.messages()] == [
        "first@example.org",
        "second@example.org",
    ]


def test_subjects_are_plain_text_not_html_escaped(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_DELIVER_ON_COMMIT = True
    event = make_event(title="Børn & unge <2030>")

    with django_capture_on_commit_callbacks(execute=True):
        registration = registration_of(event)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(registration=registration)

    assert [message.subject for message in mail.outbox] == [
        "Tilmelding bekræftet: Børn & unge <2030>",
        "Tilmelding afmeldt: Børn & unge <2030>",
    ]
    assert "Børn &amp; unge &lt;2030&gt;" in mail.outbox[0].alternatives[0][0]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_queued_mail_tasks_into_the_outbox_and_deletes_their_results():
    from django.db.migrations.executor import MigrationExecutor

    registration = registration_of(make_event())
    OutgoingEmail.objects.all().delete()
    before = [("registrations", "0007_questions")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = DBTaskResult  # its table is the same before and after
    for status, args in [
        ("RUNNING", [registration.pk, "confirmation"]),  # its worker was SIGKILLed
        ("READY", [registration.pk, "changed", 2]),
        ("FAILED", [registration.pk, "reminder", 5]),
        ("READY", [registration.pk + 1000, "confirmation"]),  # a registration gone since
    ]:
        old.objects.create(
            task_path="registrations.tasks.send_registration_email",
            args_kwargs={"args": args, "kwargs": {}},
            backend_name="default",
            run_after=timezone.now(),
            status=status,
            traceback="SMTPRecipientsRefused: {'anne@example.org': (550, b'')}"
            if status == "FAILED"
            else "",
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert sorted(
        OutgoingEmail.objects.values_list("registration_id", "kind", "status", "attempts")
    ) == [
        (registration.pk, "changed", "pending", 0),
        (registration.pk, "confirmation", "pending", 0),
    ]
    assert DBTaskResult.objects.count() == 0
