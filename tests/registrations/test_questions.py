"""Questions per event: what each event's public form asks (the standard questions it
chose, its own questions), and the answers to its own questions from the form to the
personal page, the data download, the attendee lists, the admin and anonymisation."""

import codecs
import csv
import io
import itertools
import json
import re
from html import unescape
from html.parser import HTMLParser

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from events.models import Event
from registrations import exports, privacy, services
from registrations.models import Answer, Question, Registration, StandardQuestion
from tests.factories import (
    change_url,
    form_data,
    inline_formset,
    make_programme,
    personal_secret,
    personal_url,
    registration_form_data,
)

pytestmark = pytest.mark.django_db

KKR = "kkr-konference-2021"
FF = "faglig-faellesskabsdag"

_counter = itertools.count(1)


def register_url(event_or_slug) -> str:
    slug = getattr(event_or_slug, "slug", event_or_slug)
    return reverse("registrations:register", kwargs={"slug": slug})


class FormFields(HTMLParser):
    """The registration form's fields as the member reads them, in the page's order:
    each field's wrapper (``div_id_<name>``) with its label or legend (a required field's
    ends with "*"), its help text, and the labels of its options."""

    def __init__(self):
        super().__init__()
        self.order: list[str] = []
        self.inputs: dict[str, list[tuple[str, str]]] = {}  # name -> [(type, id)]
        self.texts: dict[tuple[str, str], str] = {}  # (label|legend|help, key) -> text
        self._field: str | None = None
        self._capture: list | None = None  # [key, tag, depth, parts]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._capture:
            self._capture[2] += tag == self._capture[1]
            return
        element_id = attrs.get("id") or ""
        if tag == "div" and element_id.startswith("div_id_"):
            self._field = element_id.removeprefix("div_id_")
            self.order.append(self._field)
        elif tag in ("input", "textarea", "select") and attrs.get("name"):
            self.inputs.setdefault(attrs["name"], []).append((attrs.get("type", tag), element_id))
        key = None
        if tag == "label" and attrs.get("for"):
            key = ("label", attrs["for"])
        elif tag == "legend" and self._field:
            key = ("legend", self._field)
        elif tag == "div" and element_id.endswith("_helptext"):
            key = ("help", element_id)
        if key:
            self._capture = [key, tag, 1, []]

    def handle_endtag(self, tag):
        if self._capture and tag == self._capture[1]:
            self._capture[2] -= 1
            if not self._capture[2]:
                key, _tag, _depth, parts = self._capture
                self.texts[key] = " ".join("".join(parts).split())
                self._capture = None

    def handle_data(self, data):
        if self._capture:
            self._capture[3].append(data)


def form_fields(content: str) -> dict[str, dict]:
    """Field name -> {"label", "help", "widget", "options"} of the registration form in
    ``content``; "widget" is the type of its first input (radio, checkbox, text, textarea …)."""
    parser = FormFields()
    parser.feed(content)
    fields = {}
    for name in parser.order:
        fields[name] = {
            "label": parser.texts.get(("label", f"id_{name}"))
            or parser.texts.get(("legend", name)),
            "help": parser.texts.get(("help", f"id_{name}_helptext"), ""),
            "widget": next((kind for kind, _id in parser.inputs.get(name, [])), None),
            "options": [
                parser.texts.get(("label", option_id), "")
                for kind, option_id in parser.inputs.get(name, [])
                if kind in ("radio", "checkbox")
            ],
        }
    return fields


def get_form(client, event_or_slug, language: str = "da") -> str:
    with translation.override(language):
        response = client.get(register_url(event_or_slug))
    assert response.status_code == 200
    return response.content.decode()


def attendee_data(event: Event, **overrides) -> dict:
    """What a member sends for ``event`` (free, asking the standard questions by default),
    with the first workshop of each block; ``overrides`` add or replace fields (None drops)."""
    return registration_form_data(event, **{"dietary_needs": "", **overrides})


def field(question: Question) -> str:
    return f"question_{question.pk}"


def register_answering(event: Event, answers: dict[int, str]) -> Registration:
    """A registration made through the seat service, with ``answers`` by question id."""
    n = next(_counter)
    return services.register(
        event=event,
        attendee=services.AttendeeDetails(
            name=f"Deltager {n}",
            email=f"deltager{n}@example.org",
            workplace="Glostrup Kommune",
            job_title="Socialrådgiver",
            sector=Registration.Sector.PUBLIC,
        ),
        choices={block.pk: block.workshops.first().pk for block in event.blocks.all()},
        answers=answers,
    )


# --- What each organisation's event asks (the demo data) ---------------------------------


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


KKR_LABELS = {
    "da": {
        "phone": "Telefon (valgfrit)",
        "workplace": "Arbejdsplads*",
        "sector": "Ansættelse*",
        "yes_no": ["Ja", "Nej"],
    },
    "en": {
        "phone": "Phone (optional)",
        "workplace": "Workplace*",
        "sector": "Employment*",
        "yes_no": ["Yes", "No"],
    },
}


@pytest.mark.parametrize("language", ["da", "en"])
def test_kkr_form_asks_kkrs_own_questions_and_no_membership_number_or_dietary_needs(
    client, demo, language
):
    event = Event.objects.get(slug=KKR)
    municipality, evaluation = event.questions.all()
    expected = KKR_LABELS[language]

    content = get_form(client, KKR, language)
    fields = form_fields(content)

    assert list(fields) == [
        "name",
        "email",
        "phone",
        "workplace",
        "job_title",
        "sector",
        field(municipality),
        field(evaluation),
        "consent",
    ]
    assert fields["phone"]["label"] == expected["phone"]
    assert fields["workplace"]["label"] == expected["workplace"]
    assert fields["sector"]["label"] == expected["sector"]
    # The organiser's own questions read as they were typed, in either language.
    assert fields[field(municipality)] == {
        "label": "Hvilken kommune arbejder du i?",
        "help": "Arbejder du ikke i en kommune, så spring spørgsmålet over.",
        "widget": "radio",
        "options": municipality.choice_list,
    }
    assert len(fields[field(municipality)]["options"]) == 19
    assert fields[field(evaluation)] == {
        "label": "Må vi kontakte dig om evalueringen af konferencen?",
        "help": "",
        "widget": "radio",
        "options": expected["yes_no"],
    }
    assert 'name="membership_number"' not in content
    assert 'name="dietary_needs"' not in content
    assert "Medlemsnummer" not in content


FF_LABELS = {
    "da": {
        "dietary_needs": "Kosthensyn og allergier (valgfrit)",
        "dietary_help": "Dagen byder på morgenbrød, frokost og kage. "
        "Fortæl os, hvad du ikke kan spise.",
        "phone": "Telefon (valgfrit)",
    },
    "en": {
        "dietary_needs": "Dietary needs and allergies (optional)",
        "dietary_help": "Dagen byder på morgenbrød, frokost og kage. Tell us what you cannot eat.",
        "phone": "Phone (optional)",
    },
}


@pytest.mark.parametrize("language", ["da", "en"])
def test_faglig_faellesskabsdag_form_asks_the_ds_membership_number_and_tells_what_there_is_to_eat(
    client, demo, language
):
    expected = FF_LABELS[language]

    content = get_form(client, FF, language)
    fields = form_fields(content)

    about = list(fields)[: list(fields).index("dietary_needs") + 1]
    assert about == [
        "name",
        "email",
        "phone",
        "workplace",
        "job_title",
        "sector",
        "membership_number",
        "dietary_needs",
    ]
    # The organisation's own word for it, required: the same in both languages.
    assert fields["membership_number"]["label"] == "Medlemsnummer i DS*"
    assert fields["membership_number"]["widget"] == "text"
    assert fields["phone"]["label"] == expected["phone"]
    assert fields["dietary_needs"]["label"] == expected["dietary_needs"]
    assert fields["dietary_needs"]["help"] == expected["dietary_help"]
    assert [name for name in fields if name.startswith("question_")] == []
    assert "Hvilken kommune" not in content


# --- A member answers the event's own questions ------------------------------------------


@pytest.fixture
def event():
    """A free event with one block and a question of each kind with choices, a yes/no and
    a short text, all optional."""
    event = make_programme(blocks=1, workshops_per_block=2, title="Faglig dag", price=0)
    kinds = [
        (
            "Hvilken kommune arbejder du i?",
            Question.Kind.CHOICE,
            "Glostrup Kommune\nBallerup Kommune\nHerlev Kommune",
        ),
        (
            "Hvad vil du høre mere om?",
            Question.Kind.CHOICES,
            "Børn og unge\nBeskæftigelse\nPsykiatri",
        ),
        ("Må vi kontakte dig om evalueringen?", Question.Kind.YES_NO, ""),
        ("Hvad er dit fagområde?", Question.Kind.TEXT, ""),
    ]
    for position, (label, kind, choices) in enumerate(kinds, start=1):
        Question.objects.create(
            event=event, label=label, kind=kind, choices=choices, position=position
        )
    return event


LABELS = [
    "Hvilken kommune arbejder du i?",
    "Hvad vil du høre mere om?",
    "Må vi kontakte dig om evalueringen?",
    "Hvad er dit fagområde?",
]
# Each answer as the member reads it (several choices joined, yes/no in Danish words).
SHOWN = ["Ballerup Kommune", "Børn og unge, Psykiatri", "Ja", "Myndighed på børneområdet"]


@pytest.fixture
def answered(client, event):
    """Anne's registration for ``event``, sent through the public form with every question
    answered."""
    municipality, topics, evaluation, speciality = event.questions.all()
    response = client.post(
        register_url(event),
        attendee_data(
            event,
            **{
                field(municipality): "Ballerup Kommune",
                field(topics): ["Børn og unge", "Psykiatri"],
                field(evaluation): "yes",
                field(speciality): "Myndighed på børneområdet",
            },
        ),
    )
    assert response.status_code == 302
    return Registration.objects.get()


def test_answers_to_the_events_own_questions_are_stored_one_per_question(answered):
    assert list(answered.answers.values_list("question__label", "value")) == [
        ("Hvilken kommune arbejder du i?", "Ballerup Kommune"),
        ("Hvad vil du høre mere om?", "Børn og unge\nPsykiatri"),
        ("Må vi kontakte dig om evalueringen?", "yes"),
        ("Hvad er dit fagområde?", "Myndighed på børneområdet"),
    ]


def test_personal_page_shows_the_answers_as_read(client, answered):
    content = client.get(personal_url(answered)).content.decode()

    summary = re.findall(r'<dt class="col-sm-3">(.*?)</dt><dd class="col-sm-9">(.*?)</dd>', content)
    shown = [(unescape(label), unescape(answer)) for label, answer in summary]
    assert shown[-5:-1] == list(zip(LABELS, SHOWN, strict=True))
    assert shown[-1] == ("Status", "Bekræftet")


def test_json_download_holds_the_answers_as_stored(client, answered):
    response = client.get(
        reverse("registrations:personal_data", kwargs={"secret": personal_secret(answered)})
    )

    assert response.status_code == 200
    assert json.loads(response.content)["answers"] == [
        {"question": "Hvilken kommune arbejder du i?", "answer": "Ballerup Kommune"},
        {"question": "Hvad vil du høre mere om?", "answer": "Børn og unge\nPsykiatri"},
        {"question": "Må vi kontakte dig om evalueringen?", "answer": "yes"},
        {"question": "Hvad er dit fagområde?", "answer": "Myndighed på børneområdet"},
    ]


def export(client, event, fmt: str) -> tuple[dict, bytes]:
    response = client.get(reverse("admin:events_event_export", args=[event.pk, "attendees", fmt]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    return response, content


def columns(header: list, row: list) -> dict:
    return {label: row[header.index(label)] for label in LABELS}


def test_csv_attendee_list_has_a_column_per_question_for_danish_excel(
    client, organiser, event, answered
):
    register_answering(event, {})  # Bo answers none of the optional questions
    first_question = len(exports.ATTENDEE_FIELDS)

    response, content = export(client, event, "csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert content.startswith(codecs.BOM_UTF8)
    header, anne, bo = csv.reader(
        io.StringIO(content.decode("utf-8").removeprefix("\ufeff")), delimiter=";"
    )
    # The questions' columns follow the attendee's data, in the questions' order.
    assert header[first_question : first_question + len(LABELS)] == LABELS
    assert anne[header.index("Navn")] == "Anne Steffensen"
    assert columns(header, anne) == dict(zip(LABELS, SHOWN, strict=True))
    assert columns(header, bo) == dict.fromkeys(LABELS, "")


def test_xlsx_attendee_list_has_a_column_per_question(client, organiser, event, answered):
    register_answering(event, {})
    first_question = len(exports.ATTENDEE_FIELDS)

    _response, content = export(client, event, "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header, anne, bo = ([cell.value for cell in row] for row in sheet.iter_rows())
    assert header[first_question : first_question + len(LABELS)] == LABELS
    assert anne[header.index("Navn")] == "Anne Steffensen"
    assert columns(header, anne) == dict(zip(LABELS, SHOWN, strict=True))
    assert columns(header, bo) == dict.fromkeys(LABELS)


def test_a_required_question_left_empty_is_refused_in_danish_and_nothing_is_saved(client, event):
    municipality = event.questions.get(kind=Question.Kind.CHOICE)
    municipality.required = True
    municipality.save()

    response = client.post(register_url(event), attendee_data(event))

    assert response.status_code == 200
    assert response.context["form"].errors == {field(municipality): ["Dette felt er påkrævet."]}
    assert "Hvilken kommune arbejder du i? – Dette felt er påkrævet." in unescape(
        response.content.decode()
    )
    assert Registration.objects.count() == 0
    assert Answer.objects.count() == 0


def test_optional_questions_left_empty_store_no_answer(client, event):
    _municipality, _topics, evaluation, speciality = event.questions.all()  # two left unticked

    response = client.post(
        register_url(event),
        attendee_data(event, **{field(speciality): "", field(evaluation): "no"}),
    )

    assert response.status_code == 302
    registration = Registration.objects.get()
    assert list(registration.answers.values_list("question", "value")) == [(evaluation.pk, "no")]


# --- The organiser changes what the form asks ---------------------------------------------


def test_a_standard_question_turned_off_in_the_admin_leaves_the_public_form_at_once(
    client, organiser
):
    event = make_programme(blocks=1)
    before = form_fields(get_form(client, event))  # kept by the process from here on
    page = client.get(change_url(event))
    data = form_data(page)
    standard = inline_formset(page, "standard_questions")
    row = next(
        n
        for n, form in enumerate(standard.forms)
        if form["field"].value() == StandardQuestion.Field.DIETARY_NEEDS
    )
    data[f"standard_questions-{row}-ask"] = StandardQuestion.Ask.NO

    response = client.post(change_url(event), data)
    after = form_fields(get_form(client, event))

    assert response.status_code == 302
    assert list(StandardQuestion.objects.filter(event=event).values_list("field", "ask")) == [
        (StandardQuestion.Field.DIETARY_NEEDS, StandardQuestion.Ask.NO)
    ]
    assert before["dietary_needs"]["label"] == "Kosthensyn og allergier (valgfrit)"
    assert "dietary_needs" not in after
    assert [name for name in before if name != "dietary_needs"] == list(after)


@pytest.mark.parametrize(
    "attendees,message",
    [
        (
            1,
            "Én deltager har besvaret spørgsmålet; svaret slettes med det. "
            "Sæt kryds for at slette begge.",
        ),
        (
            3,
            "3 deltagere har besvaret spørgsmålet; deres svar slettes med det. "
            "Sæt kryds for at slette dem alle.",
        ),
    ],
    ids=["one-answer", "three-answers"],
)
def test_deleting_an_answered_question_needs_the_organiser_to_delete_its_answers_too(
    client, organiser, attendees, message
):
    event = make_programme(blocks=1)
    question = Question.objects.create(
        event=event,
        label="Hvilken kommune arbejder du i?",
        kind=Question.Kind.CHOICE,
        choices="Glostrup Kommune\nBallerup Kommune",
    )
    for _ in range(attendees):
        register_answering(event, {question.pk: "Glostrup Kommune"})
    data = form_data(client.get(change_url(event)))
    data["questions-0-DELETE"] = "on"

    refused = client.post(change_url(event), data)

    assert refused.status_code == 200
    questions = inline_formset(refused, "questions")
    # Next to the box to tick, or above the questions: either way on the page, in Danish.
    shown = [*questions.forms[0].errors.get("delete_answers", []), *questions.non_form_errors()]
    assert message in shown
    assert message in refused.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()
    assert Answer.objects.count() == attendees

    data["questions-0-delete_answers"] = "on"
    deleted = client.post(change_url(event), data)

    assert deleted.status_code == 302
    assert Question.objects.filter(event=event).count() == 0
    assert Answer.objects.count() == 0
    assert Registration.objects.count() == attendees


# --- Anonymisation ------------------------------------------------------------------------


def test_anonymising_a_registration_deletes_its_answers_and_no_one_elses(event):
    municipality, topics, *_ = event.questions.all()
    anne = register_answering(
        event, {municipality.pk: "Ballerup Kommune", topics.pk: "Psykiatri\nBeskæftigelse"}
    )
    bo = register_answering(event, {municipality.pk: "Herlev Kommune"})

    privacy.anonymise(anne)

    assert list(Answer.objects.values_list("registration", "question", "value")) == [
        (bo.pk, municipality.pk, "Herlev Kommune")
    ]
    anne.refresh_from_db()
    assert anne.anonymised_at is not None
    assert anne.attendee_answers() == [
        ("Navn", "Anonymiseret"),
        ("E-mail", f"anon-{anne.pk}@invalid"),
        ("Ansættelse", "Offentligt ansat"),
    ]
