"""Questions per event: the standard ones each event chooses, its own, and the answers.

An event that required the membership number (``Event.requires_membership_number``,
removed by events/0007 after this) asks it as a required standard question.
"""

import django.db.models.deletion
from django.db import migrations, models


def membership_number_required(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    StandardQuestion = apps.get_model("registrations", "StandardQuestion")
    StandardQuestion.objects.bulk_create(
        StandardQuestion(event=event, field="membership_number", ask="required")
        for event in Event.objects.filter(requires_membership_number=True)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_organisations_required"),
        ("registrations", "0006_exports"),
    ]
    # The membership number becomes a standard question before the event's own
    # flag for it goes.
    run_before = [("events", "0007_membership_number_is_a_question")]

    operations = [
        migrations.CreateModel(
            name="Question",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("label", models.CharField(max_length=300, verbose_name="question")),
                (
                    "help_text",
                    models.CharField(blank=True, max_length=500, verbose_name="help text"),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("text", "Short text"),
                            ("long_text", "Long text"),
                            ("choice", "One of several choices"),
                            ("choices", "Several choices"),
                            ("yes_no", "Yes or no"),
                        ],
                        max_length=10,
                        verbose_name="kind of answer",
                    ),
                ),
                (
                    "choices",
                    models.TextField(
                        blank=True,
                        help_text="For the kinds with choices: one choice per line, in the order shown.",
                        verbose_name="choices",
                    ),
                ),
                ("required", models.BooleanField(default=False, verbose_name="must be answered")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="questions",
                        to="events.event",
                        verbose_name="event",
                    ),
                ),
            ],
            options={
                "verbose_name": "question of the event's own",
                "verbose_name_plural": "questions of the event's own",
                "ordering": ["position", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Answer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.TextField(max_length=5000, verbose_name="answer")),
                (
                    "registration",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="registrations.registration",
                        verbose_name="registration",
                    ),
                ),
                (
                    "question",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="registrations.question",
                        verbose_name="question",
                    ),
                ),
            ],
            options={
                "verbose_name": "answer",
                "verbose_name_plural": "answers",
                "ordering": ["question__position", "question__pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("registration", "question"), name="one_answer_per_question"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="StandardQuestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "field",
                    models.CharField(
                        choices=[
                            ("membership_number", "Membership number"),
                            ("workplace", "Workplace"),
                            ("job_title", "Job title"),
                            ("sector", "Employment"),
                            ("phone", "Phone"),
                            ("dietary_needs", "Dietary needs"),
                            ("invoice", "Invoice details (paid events)"),
                        ],
                        max_length=20,
                        verbose_name="question",
                    ),
                ),
                (
                    "ask",
                    models.CharField(
                        choices=[
                            ("no", "Not asked"),
                            ("optional", "Optional"),
                            ("required", "Required"),
                        ],
                        max_length=10,
                        verbose_name="asked",
                    ),
                ),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="standard_questions",
                        to="events.event",
                        verbose_name="event",
                    ),
                ),
            ],
            options={
                "verbose_name": "standard question",
                "verbose_name_plural": "standard questions",
                "ordering": ["pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("event", "field"), name="one_row_per_standard_question"
                    )
                ],
            },
        ),
        migrations.RunPython(membership_number_required, migrations.RunPython.noop),
    ]
