"""Every event and speaker belongs to an organisation.

Events and speakers made before organisations existed go to one organisation,
named after the platform's operator (``PRIVACY_CONTROLLER``): a superuser can
rename it, add others and move events in the admin.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def give_everything_an_organisation(apps, schema_editor):
    Organisation = apps.get_model("events", "Organisation")
    Event = apps.get_model("events", "Event")
    Speaker = apps.get_model("events", "Speaker")
    if not (
        Event.objects.filter(organisation=None).exists()
        or Speaker.objects.filter(owner=None).exists()
    ):
        return
    name = settings.PRIVACY_CONTROLLER or "fagdag"
    organisation, _created = Organisation.objects.get_or_create(
        name=name,
        defaults={
            "contact_email": settings.PRIVACY_CONTACT_EMAIL or "kontakt@fagdag.invalid",
            "privacy_controller": name,
            "privacy_email": settings.PRIVACY_CONTACT_EMAIL,
        },
    )
    Event.objects.filter(organisation=None).update(organisation=organisation)
    Speaker.objects.filter(owner=None).update(owner=organisation)


class Migration(migrations.Migration):
    dependencies = [("events", "0005_organisations")]

    operations = [
        migrations.RunPython(give_everything_an_organisation, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="event",
            name="organisation",
            field=models.ForeignKey(
                help_text="Who holds the event: its people run it, and it controls the attendees' data.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="events.organisation",
                verbose_name="organisation",
            ),
        ),
        migrations.AlterField(
            model_name="speaker",
            name="owner",
            field=models.ForeignKey(
                help_text="The organisation whose events the speaker is part of.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="speakers",
                to="events.organisation",
                verbose_name="organisation",
            ),
        ),
    ]
