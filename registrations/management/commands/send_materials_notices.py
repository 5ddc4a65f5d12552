"""Tell attendees, once, that their event's materials are ready (``registrations.materials``).

For each event whose "materials shown from" time has come and which has
materials, each confirmed attendee who can see at least one of them gets one
e-mail with the link to their personal page. Never two: running the command
again, or twice at once, or after more materials are added, sends nothing
more to those already told.

Every hour from cron (``crontab -e`` as the user that runs fagdag)::

    5 * * * *  cd /srv/fagdag && .venv/bin/python manage.py send_materials_notices

or a systemd timer like the one for ``send_online_links`` with
``OnCalendar=hourly``. The mails are sent by the task worker
(``manage.py db_worker``), like every other mail.
"""

from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from registrations import materials


class Command(BaseCommand):
    help = (
        "E-mail each attendee once when the materials of their workshops and event are ready. "
        "Safe to run any number of times."
    )

    @scopes_disabled()  # a command, not a person: every organisation
    def handle(self, *args, **options):
        for title, count in materials.send_notices().items():
            self.stdout.write(f"{title}: told {count} attendee(s) that the materials are ready.")
