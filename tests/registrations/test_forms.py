"""The registration form (registrations/forms.py) on its own; tests/registrations/test_views.py
posts it through the page."""

import uuid

import pytest
from django.utils import translation

from events.selectors import blocks_with_workshops
from registrations.forms import RegistrationForm
from registrations.models import ABOUT, INVOICE, attendee_fields
from registrations.selectors import event_questions
from tests.factories import make_programme

pytestmark = pytest.mark.django_db


def names(fields) -> list[str]:
    return [field.name for field in fields]


def registration_form(event, data=None) -> RegistrationForm:
    return RegistrationForm(
        data, event=event, blocks=blocks_with_workshops(event), questions=event_questions(event)
    )


def answers(event, **overrides) -> dict:
    data = {
        "name": "Anne Steffensen",
        "email": "anne@example.org",
        "workplace": "Glostrup Kommune",
        "job_title": "Socialrådgiver",
        "sector": "public",
        "consent": "on",
        "submission_token": str(uuid.uuid4()),
    }
    for block in event.blocks.all():
        data[f"block_{block.pk}"] = str(block.workshops.first().pk)
    data.update(overrides)
    return data


def test_a_paid_events_form_asks_the_attendee_about_themselves_and_whom_to_invoice():
    event = make_programme(blocks=1, price=350)

    form = registration_form(event)

    assert list(form.fields) == [
        *names(attendee_fields(ABOUT)),
        *names(attendee_fields(INVOICE)),
        "consent",
        "submission_token",
        "website",
        f"block_{event.blocks.get().pk}",
    ]


def test_a_free_events_form_asks_no_invoice_details():
    event = make_programme(blocks=1, price=0)

    form = registration_form(event)

    assert list(form.fields) == [
        *names(attendee_fields(ABOUT)),
        "consent",
        "submission_token",
        "website",
        f"block_{event.blocks.get().pk}",
    ]


def test_an_ean_with_a_wrong_check_digit_is_refused_in_danish():
    event = make_programme(blocks=1, price=350)
    data = answers(
        event,
        payer="ean",
        ean="5798000000002",  # 5798000000001 is right
        invoice_organisation="Glostrup Kommune",
        invoice_address="Rådhusvej 2\n2600 Glostrup",
        invoice_attention="Ayhan Gormez",
    )

    form = registration_form(event, data)

    with translation.override("da"):
        assert not form.is_valid()
        assert form.errors == {
            "ean": [
                "Det er ikke et gyldigt EAN-nummer: kontrolcifferet passer ikke. Tjek det venligst."
            ]
        }


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
INVOICE_TO_EMPLOYER = {
    "invoice_organisation": "Glostrup Kommune",
    "invoice_address": "Rådhusvej 2\n2600 Glostrup",
    "invoice_attention": "Ayhan Gormez",
}


@pytest.mark.parametrize(
    ("field", "number", "payer"),
    [
        ("ean", "5798000000001", "ean"),
        ("cvr", "13585628", "cvr"),
        ("phone", "+45 33 12 34 56", "personal"),
        ("membership_number", "123456", "personal"),
    ],
)
def test_numbers_in_other_scripts_digits_are_refused_in_danish(field, number, payer):
    event = make_programme(blocks=1, price=350)
    accepted = registration_form(
        event, answers(event, payer=payer, **{field: number}, **INVOICE_TO_EMPLOYER)
    )
    refused = registration_form(
        event,
        answers(
            event,
            payer=payer,
            **{field: number.translate(ARABIC_INDIC)},
            **INVOICE_TO_EMPLOYER,
        ),
    )
    superscript = registration_form(
        event, answers(event, payer=payer, **{field: number[:-1] + "²"}, **INVOICE_TO_EMPLOYER)
    )

    with translation.override("da"):
        assert accepted.is_valid(), accepted.errors
        assert accepted.cleaned_data[field] == number
        assert not refused.is_valid()
        assert refused.errors == {field: ["Skriv tallet med cifrene 0-9."]}
        assert not superscript.is_valid()
        assert superscript.errors == {field: ["Skriv tallet med cifrene 0-9."]}


@pytest.mark.parametrize(
    ("field", "number", "payer", "message"),
    [
        ("cvr", "13585627", "cvr", "Det er ikke et gyldigt CVR-nummer. Tjek det venligst."),
        ("cvr", "1358562", "cvr", "Et CVR-nummer har præcis 8 cifre."),
        ("ean", "579800000000", "ean", "Et EAN-nummer har præcis 13 cifre."),
    ],
)
def test_ean_and_cvr_numbers_are_checked_by_python_stdnum(field, number, payer, message):
    event = make_programme(blocks=1, price=350)
    form = registration_form(
        event, answers(event, payer=payer, **{field: number}, **INVOICE_TO_EMPLOYER)
    )

    with translation.override("da"):
        assert not form.is_valid()
        assert form.errors == {field: [message]}
