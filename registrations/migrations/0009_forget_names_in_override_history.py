"""The workshop's history no longer names the attendee a capacity override moved in.

Until the services wrote "to move an attendee in", the message of a capacity
override in a workshop's history named the attendee ("… to move Anne
Steffensen in (override)."), in the language of the organiser who moved them.
That history is the programme's: programme editors read it, and anonymisation
never touched it. This rewrites those messages, in English and Danish, to the
nameless form; the registration's own history still records the move.
"""

import re

from django.db import migrations

NAMED = [
    (
        re.compile(r"^Capacity raised from (\d+) to (\d+) to move .+ in \(override\)\.$", re.S),
        r"Capacity raised from \1 to \2 to move an attendee in (override).",
    ),
    (
        re.compile(
            r"^Antal pladser hævet fra (\d+) til (\d+) for at flytte .+ ind \(tilsidesat\)\.$", re.S
        ),
        r"Antal pladser hævet fra \1 til \2 for at flytte en deltager ind (tilsidesat).",
    ),
]


def nameless_override_messages(apps, schema_editor):
    LogEntry = apps.get_model("admin", "LogEntry")
    entries = LogEntry.objects.filter(
        content_type__app_label="events", content_type__model="workshop"
    ).filter(change_message__contains="(")
    for entry in entries.only("pk", "change_message").iterator():
        for named, nameless in NAMED:
            message = named.sub(nameless, entry.change_message)
            if message != entry.change_message:
                LogEntry.objects.filter(pk=entry.pk).update(change_message=message)
                break


class Migration(migrations.Migration):
    dependencies = [
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registrations", "0008_mail_outbox"),
    ]

    operations = [
        migrations.RunPython(nameless_override_messages, migrations.RunPython.noop, elidable=True),
    ]
