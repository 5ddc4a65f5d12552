"""Personal links stored as digests only; calendar UIDs that name no registration number;
an attendee's name is a name (a validator, no change to the data).

Each registration's existing secret becomes a ``PersonalLink`` holding its
SHA-256, so every link already e-mailed keeps working; then the secret column
goes. Existing registrations keep their number as calendar key, so the
calendar entries already sent (UID ``seat-<pk>-<block>``) are still updated by
later mails; new registrations get a random key.

Reversible, but the links are not: going back gives every registration a new
secret, which no e-mail carries (the secrets are gone once hashed).
"""

import hashlib
import secrets

import django.db.models.deletion
from django.db import migrations, models
from django.db.models.functions import Cast

import registrations.models


def hash_secrets_and_keep_calendar_keys(apps, schema_editor):
    Registration = apps.get_model("registrations", "Registration")
    PersonalLink = apps.get_model("registrations", "PersonalLink")
    links = []
    for registration in Registration.objects.only("pk", "secret").iterator(chunk_size=2000):
        links.append(
            PersonalLink(
                registration_id=registration.pk,
                digest=hashlib.sha256(registration.secret.encode()).hexdigest(),
            )
        )
    PersonalLink.objects.bulk_create(links, batch_size=2000)
    Registration.objects.update(calendar_key=Cast("pk", models.CharField()))
    if schema_editor.connection.vendor == "postgresql":
        # The new rows' deferred foreign-key checks now, not at commit: PostgreSQL
        # refuses to alter a table with such checks pending (the column dropped below).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def give_new_secrets(apps, schema_editor):
    Registration = apps.get_model("registrations", "Registration")
    for registration in Registration.objects.only("pk").iterator(chunk_size=2000):
        Registration.objects.filter(pk=registration.pk).update(secret=secrets.token_urlsafe(32))


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0012_materials_and_room_lists"),
    ]

    operations = [
        migrations.CreateModel(
            name="PersonalLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "digest",
                    models.CharField(
                        max_length=64, unique=True, verbose_name="SHA-256 of the secret"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="made")),
                (
                    "registration",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="personal_links",
                        to="registrations.registration",
                        verbose_name="registration",
                    ),
                ),
            ],
            options={
                "verbose_name": "personal link",
                "verbose_name_plural": "personal links",
            },
        ),
        migrations.AddField(
            model_name="registration",
            name="calendar_key",
            field=models.CharField(
                default=registrations.models.new_calendar_key,
                editable=False,
                max_length=32,
                verbose_name="calendar key",
            ),
        ),
        # Nullable first, so that going back can add the column to existing rows.
        migrations.AlterField(
            model_name="registration",
            name="secret",
            field=models.CharField(
                editable=False,
                max_length=64,
                null=True,
                unique=True,
                verbose_name="personal link key",
            ),
        ),
        migrations.RunPython(hash_secrets_and_keep_calendar_keys, give_new_secrets),
        migrations.RemoveIndex(
            model_name="registration",
            name="registration_secret_lookup",
        ),
        migrations.RemoveField(
            model_name="registration",
            name="secret",
        ),
        migrations.AlterField(
            model_name="registration",
            name="name",
            field=models.CharField(
                max_length=200,
                validators=[registrations.models.validate_person_name],
                verbose_name="name",
            ),
        ),
    ]
