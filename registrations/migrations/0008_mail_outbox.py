"""The e-mail outbox; mails still queued as django-tasks tasks move into it.

Each mail task not yet finished (waiting, or RUNNING for ever after a killed
worker) becomes an outbox row, due at once; then every result of the old
mail task goes, with the addresses its tracebacks held.
"""

import secrets

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

OLD_MAIL_TASK = "registrations.tasks.send_registration_email"


def move_queued_mail_tasks(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    Registration = apps.get_model("registrations", "Registration")
    OutgoingEmail = apps.get_model("registrations", "OutgoingEmail")
    old = DBTaskResult.objects.filter(task_path=OLD_MAIL_TASK)
    existing = set(Registration.objects.values_list("pk", flat=True))
    queued = set()
    for args_kwargs in old.filter(status__in=["READY", "RUNNING"]).values_list(
        "args_kwargs", flat=True
    ):
        args = args_kwargs.get("args") or []
        if len(args) >= 2 and args[0] in existing:
            queued.add((args[0], args[1]))
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            registration_id=registration_id,
            kind=kind,
            message_id=f"<{kind}.{registration_id}.{secrets.token_hex(8)}@fagdag.invalid>",
        )
        for registration_id, kind in sorted(queued)
    )
    old.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0007_questions"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutgoingEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=20, verbose_name="kind of e-mail")),
                (
                    "message_id",
                    models.CharField(max_length=200, unique=True, verbose_name="Message-ID"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be sent"),
                            ("sent", "Sent"),
                            ("refused", "Refused by the mail server"),
                            ("failed", "Not delivered after every try"),
                            ("uncertain", "No answer from the mail server after every try"),
                            ("dropped", "No longer due"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="queued"),
                ),
                (
                    "due_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="due"),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="tries")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                ),
                (
                    "last_error",
                    models.CharField(blank=True, max_length=60, verbose_name="last error"),
                ),
                (
                    "registration",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="outgoing_emails",
                        to="registrations.registration",
                        verbose_name="registration",
                    ),
                ),
            ],
            options={
                "verbose_name": "outgoing e-mail",
                "verbose_name_plural": "outgoing e-mails",
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "pending")),
                        fields=["due_at"],
                        name="outgoing_email_due",
                    )
                ],
            },
        ),
        migrations.AlterField(
            model_name="registration",
            name="email_failed_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Set when the mail server refused an e-mail to the attendee, "
                "or it could not be sent after every try.",
                null=True,
                verbose_name="e-mail not delivered",
            ),
        ),
        migrations.RunPython(move_queued_mail_tasks, migrations.RunPython.noop),
    ]
