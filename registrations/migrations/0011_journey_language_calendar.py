"""The attendee's language, and the version of their calendar file.

Registrations made before this were all mailed in Danish. A confirmed one has
been given a calendar file (without a SEQUENCE, read as 0): it counts as
version 1, so a later cancellation takes its entries out of the calendar.
"""

from django.db import migrations, models


def calendars_given(apps, schema_editor):
    Registration = apps.get_model("registrations", "Registration")
    Registration.objects.filter(status="confirmed").update(calendar_sequence=1)


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0010_allocation_rankings"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="calendar_sequence",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="How many calendar files the attendee has been given: each new one has a higher SEQUENCE, so calendars replace the entries of the one before.",
                verbose_name="calendar version",
            ),
        ),
        migrations.AddField(
            model_name="registration",
            name="language",
            field=models.CharField(
                choices=[("da", "Danish"), ("en", "English")],
                default="da",
                help_text="The language the attendee registered in: their e-mails and links use it.",
                max_length=10,
                verbose_name="language",
            ),
        ),
        migrations.RunPython(calendars_given, migrations.RunPython.noop),
    ]
