"""Erase attendees' personal data when its time is up. Run it once a day.

``RETENTION_DAYS_AFTER_EVENT`` (default 90) days after an event's last day,
its attendees are anonymised: name, e-mail address, phone, workplace, job
title, membership number and dietary needs are replaced or cleared, and their
personal links stop working, and the event's materials (files and links) are
deleted. Status, seats and waitlist places stay, so the
organisers' counts and workshop statistics hold. A paid event's invoicing
data (payer, EAN/CVR, organisation, invoice address, att., order number) is
kept until ``BOOKKEEPING_RETENTION_YEARS`` (default 5) years after the event
and then cleared too. See ``registrations.privacy``.

Idempotent: what is done is never done again, so a missed day or a second run
is harmless.

cron (as the app's user, with the app's environment; 03:15 every night)::

    15 3 * * *  cd /srv/fagdag && .venv/bin/python manage.py anonymise_attendees

systemd: ``/etc/systemd/system/fagdag-anonymise.service``::

    [Unit]
    Description=fagdag: erase attendees' personal data after the retention period

    [Service]
    Type=oneshot
    User=fagdag
    WorkingDirectory=/srv/fagdag
    EnvironmentFile=/etc/fagdag/env
    ExecStart=/srv/fagdag/.venv/bin/python manage.py anonymise_attendees

and ``/etc/systemd/system/fagdag-anonymise.timer``::

    [Unit]
    Description=fagdag: erase attendees' personal data daily

    [Timer]
    OnCalendar=*-*-* 03:15:00
    Persistent=true

    [Install]
    WantedBy=timers.target

then ``systemctl enable --now fagdag-anonymise.timer``.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django_scopes import scopes_disabled

from registrations import privacy


class Command(BaseCommand):
    help = (
        "Anonymise attendees RETENTION_DAYS_AFTER_EVENT days after their event and erase "
        "invoicing data BOOKKEEPING_RETENTION_YEARS after it. Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count what is due; change nothing.",
        )

    @scopes_disabled()  # a command, not a person: every organisation
    def handle(self, *args, dry_run: bool = False, **options):
        today = timezone.localdate()
        if dry_run:
            anonymise = privacy.due_for_anonymisation(today).count()
            invoices = privacy.due_for_invoice_erasure(today).count()
            self.stdout.write(
                f"Due: {anonymise} registration(s) to anonymise, "
                f"{invoices} with invoicing data to erase (nothing changed)."
            )
            return
        done = privacy.apply_retention()
        self.stdout.write(
            f"Anonymised {done['anonymised']} registration(s) "
            f"({settings.RETENTION_DAYS_AFTER_EVENT} days after their event); "
            f"erased the invoicing data of {done['invoice_data_erased']} "
            f"({settings.BOOKKEEPING_RETENTION_YEARS} years after); "
            f"deleted {done['materials_deleted']} material(s) of past events."
        )
