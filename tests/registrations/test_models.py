"""The attendee's data is one list (``models.attendee_fields``): each field marked with
``attendee_data`` reaches the form, the personal page, the JSON download, the admin, the
attendee list and anonymisation, with nothing to add elsewhere."""

import pytest
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.text import capfirst

from events.selectors import blocks_with_workshops
from registrations import exports, privacy
from registrations.admin import RegistrationAdmin
from registrations.forms import RegistrationForm
from registrations.models import ABOUT, INVOICE, attendee_fields
from registrations.selectors import event_questions
from tests.factories import make_programme, make_registration

pytestmark = pytest.mark.django_db

# Every answer filled in, so that each reader has something to show.
EVERY_ANSWER = dict(
    name="Anne Steffensen",
    email="anne@example.org",
    phone="+45 12 34 56 78",
    workplace="Glostrup Kommune",
    job_title="Socialrådgiver",
    sector="public",
    membership_number="123456",
    dietary_needs="Glutenfri",
    payer="ean",
    ean="5798000000001",
    cvr="12345674",
    invoice_organisation="Glostrup Kommune",
    invoice_address="Rådhusparken 2, 2600 Glostrup",
    invoice_attention="Mette Hansen",
    invoice_order_number="PO-77",
)


@pytest.fixture
def paid_registration():
    event = make_programme(blocks=1, price=350)
    return event, make_registration(event, **EVERY_ANSWER)


def label(field) -> str:
    return str(capfirst(field.verbose_name))


def test_every_attendee_field_has_an_answer_here():
    assert sorted(EVERY_ANSWER) == sorted(field.name for field in attendee_fields())


@pytest.mark.parametrize("field", attendee_fields(ABOUT), ids=lambda field: field.name)
def test_every_field_about_the_attendee_reaches_each_reader(paid_registration, field):
    event, registration = paid_registration

    form = RegistrationForm(
        event=event, blocks=blocks_with_workshops(event), questions=event_questions(event)
    )
    attendees = exports.attendee_list(event).tables[0]
    exported = dict(zip(attendees.header, next(iter(attendees.rows)), strict=True))
    personal_page = dict(registration.attendee_answers(ABOUT))
    download = privacy.personal_data(registration)

    assert field.name in form.fields
    assert personal_page[label(field)] == exported[label(field)]
    assert download["registration"][field.name] == EVERY_ANSWER[field.name]
    assert field.name in flatten_fieldsets(RegistrationAdmin.fieldsets)
    assert (field.name in privacy.PERSONAL_FIELDS) == (
        not field.kept_when_anonymised and field.name not in {"name", "email"}
    )


@pytest.mark.parametrize("field", attendee_fields(INVOICE), ids=lambda field: field.name)
def test_every_field_about_whom_to_invoice_reaches_each_reader(paid_registration, field):
    event, registration = paid_registration

    form = RegistrationForm(
        event=event, blocks=blocks_with_workshops(event), questions=event_questions(event)
    )
    personal_page = dict(registration.attendee_answers(INVOICE))
    download = privacy.personal_data(registration)

    assert field.name in form.fields
    assert label(field) in personal_page
    assert download["invoice"][field.name] == EVERY_ANSWER[field.name]
    assert field.name in flatten_fieldsets(RegistrationAdmin.fieldsets)
    assert field.name in privacy.INVOICE_FIELDS
    assert field.name not in privacy.PERSONAL_FIELDS
