"""Attendee lists for staff: CSV that Danish Excel opens by double-click, or an .xlsx workbook.

The lists (each a ``Listing`` of one or more tables of plain values):

- ``attendee_list``: one row per registration of an event (or a selection of
  them): details, status, time of registering, and one column per workshop
  block, headed by the block's title and time, with the workshop taken;
- ``room_list``: who sits in one workshop, for the speaker and the host: names
  and workplaces under the event, workshop, room and time (no e-mail
  addresses or dietary needs: the purpose needs none);
- ``room_lists``: every workshop's room list of an event in one file, an .xlsx
  sheet (or a CSV section) per workshop;
- ``catering``: per day of the event, the attendees and each dietary need;
- ``invoicing``: paid events: one row per confirmed registration with whom to
  invoice, and a table with the sum per payer.

Formats (``ExportRecord.Format``): CSV in UTF-8 with a byte order mark, ``;``
between cells and CRLF line ends (what Danish Excel expects), times as
``dd-mm-åååå tt:mm`` in Europe/Copenhagen and amounts with a decimal comma;
the same with ``,`` and a decimal point for other tools; and .xlsx.

Every list reads its rows in a fixed number of queries, however many rows:
the workshop of each block comes from a correlated subquery per block, not
from a query per registration, and rows are read from the cursor in chunks
(``iterator(chunk_size=...)``). CSV is streamed as it is read, so memory
stays flat; an .xlsx is written row by row (openpyxl's write-only workbook)
to a temporary file, then sent.

A cell that a spreadsheet would run as a formula is made inert: in CSV by
``defusedcsv`` (a leading ``=``, ``+``, ``-``, ``@``, ``|`` or ``%`` gets a
``'``), after leading whitespace (tab, carriage return) is stripped, so that
it cannot hide such a character; in .xlsx every text is stored as a string
cell, never as a formula.

Only staff with the permission ``registrations.export_registrations`` get a
list (``export_response`` checks it), and each export is recorded
(``ExportRecord``).
"""

import datetime
import io
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from defusedcsv import csv
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, F, IntegerField, Min, OuterRef, Subquery, Value, When
from django.db.models.functions import Lower
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from events.models import VENUE_TZ, Event, Workshop

from .models import (
    ABOUT,
    Answer,
    ExportRecord,
    Question,
    Registration,
    Seat,
    WaitlistEntry,
    attendee_fields,
)

EXPORT_PERMISSION = "registrations.export_registrations"
CHUNK_SIZE = 500  # rows fetched from the cursor at a time: what a list holds in memory
CSV_BUFFER = 64 * 1024  # characters gathered before a chunk of the response is sent
BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_CELL = 32767  # characters Excel holds in one cell

Format = ExportRecord.Format
Kind = ExportRecord.Kind


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: Iterable[Sequence[object]]
    # Lines above the header: what the table is of (a room list's event, workshop, room, time).
    preamble: Sequence[Sequence[object]] = ()


@dataclass(frozen=True)
class Listing:
    """What a list is called in its file name, and its tables (rows are read lazily)."""

    name: str
    tables: list[Table]


def field_label(model, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


def choice_labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


# The lists --------------------------------------------------------------------------


# The attendee's data (``models.attendee_fields``), then where the registration stands.
ATTENDEE_FIELDS = [*(field.name for field in attendee_fields(ABOUT)), "status", "created_at"]


def block_heading(block) -> str:
    return f"{block.title} ({block.day:%d-%m-%Y} {block.starts:%H:%M}–{block.ends:%H:%M})"


def attendee_list(event: Event, *, registrations=None) -> Listing:
    """Every registration of ``event`` (or those of the queryset ``registrations``).

    After the attendee's data, a column per question of the event's own with
    each answer as shown; then a block's column holds the workshop the
    attendee sits in; for someone on the event's waitlist, the workshop they
    wait for, marked as such. Three queries: the blocks, the questions, then
    the registrations.
    """
    blocks = list(event.blocks.all())
    questions = list(Question.objects.filter(event=event))
    answers = {
        f"answer_{question.pk}": Subquery(
            Answer.objects.filter(registration=OuterRef("pk"), question=question.pk).values(
                "value"
            )[:1]
        )
        for question in questions
    }
    queryset = Registration.objects.filter(event=event)
    if registrations is not None:
        queryset = queryset.filter(pk__in=registrations.values("pk"))
    seats = {
        f"seat_{block.pk}": Subquery(
            Seat.objects.filter(registration=OuterRef("pk"), block=block.pk).values(
                "workshop__title"
            )[:1]
        )
        for block in blocks
    }
    waits = {
        f"wait_{block.pk}": Subquery(
            WaitlistEntry.objects.filter(registration=OuterRef("pk"), block=block.pk).values(
                "workshop__title"
            )[:1]
        )
        for block in blocks
    }
    values = (
        queryset.annotate(**answers, **seats, **waits)
        .order_by("created_at", "pk")
        .values_list(*ATTENDEE_FIELDS, *answers, *seats, *waits)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    # Columns with choices show the choice's label, as the admin does.
    labels = {
        at: choice_labels(field.choices)
        for at, field in enumerate(Registration._meta.get_field(name) for name in ATTENDEE_FIELDS)
        if field.choices
    }
    waiting = _("Waitlist: %(workshop)s")
    details = len(ATTENDEE_FIELDS) + len(questions)

    def rows():
        for row in values:
            row = list(row)
            for at, choices in labels.items():
                row[at] = choices.get(row[at], row[at])
            for n, question in enumerate(questions, start=len(ATTENDEE_FIELDS)):
                if row[n] is not None:
                    row[n] = Answer(question=question, value=row[n]).shown
            places = []
            for n in range(len(blocks)):
                seat, wait = row[details + n], row[details + len(blocks) + n]
                places.append(seat or (waiting % {"workshop": wait} if wait else ""))
            yield [*row[:details], *places]

    header = [field_label(Registration, name) for name in ATTENDEE_FIELDS]
    header += [question.label for question in questions]
    header += [block_heading(block) for block in blocks]
    name = pgettext("file name", "attendees")
    if registrations is not None:
        name = pgettext("file name", "selected-attendees")
    return Listing(name=name, tables=[Table(_("Attendees"), header, rows())])


# What a room list is for (the speaker and the host at the door): who comes, and from where.
# Not their e-mail addresses or dietary needs: those are in the attendee list and, counted,
# in the catering list.
ROOM_LIST_FIELDS = ["name", "workplace"]


def time_line(block) -> str:
    """E.g. "onsdag 1. november 2017, 11.00–12.30"."""
    day = date_format(block.day, "l j. F Y")
    return f"{day}, {block.starts:%H.%M}–{block.ends:%H.%M}"


def room_list_preamble(event: Event, workshop: Workshop) -> list[list[object]]:
    """The top of a room list: event, workshop, room, time, seats taken; then a blank line."""
    return [
        [pgettext("room list", "Event"), event.title],
        [pgettext("room list", "Workshop"), workshop.title],
        [pgettext("room list", "Room"), workshop.room or "–"],
        [pgettext("room list", "Time"), time_line(workshop.block)],
        [pgettext("room list", "Attendees"), workshop.seats_taken],
        [],
    ]


def room_list_header() -> list[str]:
    return [field_label(Registration, name) for name in ROOM_LIST_FIELDS]


def room_list(workshop: Workshop) -> Listing:
    """Who holds a seat in ``workshop``, by name, under what the list is of. One query."""
    rows = (
        Seat.objects.filter(workshop=workshop)
        .order_by(Lower("registration__name"), "registration__pk")
        .values_list(*(f"registration__{name}" for name in ROOM_LIST_FIELDS))
        .iterator(chunk_size=CHUNK_SIZE)
    )
    event = workshop.block.event
    name = pgettext("file name", "room-list") + "-" + ascii_slug(workshop.title)[:50]
    table = Table(
        workshop.title, room_list_header(), rows, preamble=room_list_preamble(event, workshop)
    )
    return Listing(name=name, tables=[table])


def room_lists(event: Event) -> Listing:
    """Every workshop's room list of ``event`` in one file: a table (an .xlsx sheet) per
    workshop, in programme order. Two queries, however many workshops: the workshops, then
    every seat, in the same order, handed out to each workshop's table as it is written."""
    workshops = list(
        Workshop.objects.filter(block__event=event)
        .select_related("block")
        .order_by("block__day", "block__starts", "block__pk", "position", "pk")
    )
    seats = (
        Seat.objects.filter(workshop__block__event=event)
        .order_by(
            "workshop__block__day",
            "workshop__block__starts",
            "workshop__block__pk",
            "workshop__position",
            "workshop__pk",
            Lower("registration__name"),
            "registration__pk",
        )
        .values_list("workshop_id", *(f"registration__{name}" for name in ROOM_LIST_FIELDS))
        .iterator(chunk_size=CHUNK_SIZE)
    )
    pending = []  # the row read past the end of the previous workshop's table

    def rows_of(workshop_id: int):
        while True:
            row = pending.pop() if pending else next(seats, None)
            if row is None:
                return
            if row[0] != workshop_id:
                pending.append(row)
                return
            yield row[1:]

    titles = set()
    tables = []
    for workshop in workshops:
        title = unique_sheet_title(workshop.title, titles)
        tables.append(
            Table(
                title,
                room_list_header(),
                rows_of(workshop.pk),
                preamble=room_list_preamble(event, workshop),
            )
        )
    if not tables:  # no workshops yet: an empty list, not an error
        tables.append(Table(_("Room lists"), room_list_header(), []))
    return Listing(name=pgettext("file name", "rooms-and-attendees"), tables=tables)


# Free text that means "nothing special" (after normalising).
NO_DIETARY_NEEDS = {"", "-", "nej", "ingen", "intet", "ingen særlige", "ingen allergier"}
NO_DIETARY_NEEDS |= {"no", "none", "n/a", "nothing"}


def normalise_dietary_need(text: str) -> str:
    """One spelling for the same need: "  Vegetar. " and "vegetar" count together; "" for none."""
    need = " ".join(text.split()).casefold().strip(" .,;:!")
    return "" if need in NO_DIETARY_NEEDS else need


def catering(event: Event) -> Listing:
    """Per day of the event: all confirmed attendees, those without needs, and each need.

    A registration is for the whole event, so each day counts every confirmed
    attendee. Needs are free text, counted after ``normalise_dietary_need``,
    most frequent first. One query (the needs, grouped by the database).
    """
    grouped = (
        Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED)
        .order_by()
        .values_list("dietary_needs")
        .annotate(n=Count("pk"))
    )
    needs: Counter[str] = Counter()
    for text, n in grouped.iterator(chunk_size=CHUNK_SIZE):
        needs[normalise_dietary_need(text)] += n
    total = sum(needs.values())
    without = needs.pop("", 0)
    ranked = sorted(needs.items(), key=lambda item: (-item[1], item[0]))
    rows = []
    for day in event.days:
        rows.append([day, _("All attendees"), total])
        rows.append([day, _("No special needs"), without])
        rows.extend([day, capfirst(need), n] for need, n in ranked)
    header = [_("Day"), _("Dietary need"), _("Attendees")]
    return Listing(
        name=pgettext("file name", "catering"), tables=[Table(_("Catering"), header, rows)]
    )


INVOICE_FIELDS = [
    "payer",
    "payer_number",
    "invoice_organisation",
    "invoice_address",
    "invoice_attention",
    "invoice_order_number",
    "name",
    "email",
]


def payer_number():
    """The EAN number of a public employer, the CVR number of a private one; else empty."""
    return Case(
        When(payer=Registration.Payer.EAN, then=F("ean")),
        When(payer=Registration.Payer.CVR, then=F("cvr")),
        default=Value(""),
    )


@dataclass(frozen=True)
class PayerNumberConflict:
    """One EAN or CVR number given with the names of different organisations."""

    payer: str
    number: str
    organisations: list[tuple[str, int]]  # each name as first spelt, and its attendees

    @property
    def names(self) -> list[str]:
        return [name for name, _count in self.organisations]


def same_organisation(name: str) -> str:
    """ "Glostrup  kommune " and "Glostrup Kommune" are one organisation."""
    return " ".join(name.split()).casefold()


def payer_number_conflicts(event: Event) -> dict[tuple[str, str], PayerNumberConflict]:
    """EAN and CVR numbers that confirmed registrations of ``event`` gave with different
    organisations' names (beyond case and spaces): the invoicing list sums each number as
    one payer, so a typo'd number would bill one organisation for another's people. One query.
    """
    rows = (
        Registration.objects.filter(
            event=event,
            status=Registration.Status.CONFIRMED,
            payer__in=[Registration.Payer.EAN, Registration.Payer.CVR],
        )
        .annotate(payer_number=payer_number())
        .order_by()
        .values_list("payer", "payer_number", "invoice_organisation")
        .annotate(attendees=Count("pk"))
        .order_by("payer", "payer_number", "invoice_organisation")
    )
    found: dict[tuple[str, str], dict[str, list]] = {}
    for payer, number, organisation, attendees in rows:
        names = found.setdefault((payer, number), {})
        entry = names.setdefault(same_organisation(organisation), [organisation.strip(), 0])
        entry[1] += attendees
    return {
        key: PayerNumberConflict(key[0], key[1], [tuple(entry) for entry in names.values()])
        for key, names in found.items()
        if len(names) > 1
    }


def invoicing(event: Event) -> Listing:
    """Whom to invoice for each confirmed registration, and the sum per payer.

    Colleagues paid for by one employer are listed together and summed as one
    payer (by EAN or CVR number); an attendee who pays personally is a payer
    of their own. Two queries.
    """
    if event.is_free:
        raise Http404("A free event has nothing to invoice.")
    price = event.price
    confirmed = Registration.objects.filter(
        event=event, status=Registration.Status.CONFIRMED
    ).annotate(payer_number=payer_number())
    payers = choice_labels(Registration.Payer.choices)
    per_registration = (
        confirmed.order_by("payer", "payer_number", Lower("invoice_organisation"), "name", "pk")
        .values_list(*INVOICE_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    per_payer = (
        confirmed.annotate(
            # Employers are one payer per number; each personal payer is their own.
            personal=Case(
                When(payer__in=[Registration.Payer.EAN, Registration.Payer.CVR], then=Value(0)),
                default=F("pk"),
                output_field=IntegerField(),
            )
        )
        .order_by()
        .values("payer", "payer_number", "personal")
        .annotate(
            organisation=Min("invoice_organisation"),
            address=Min("invoice_address"),
            attendee=Min("name"),
            attendees=Count("pk"),
        )
        .order_by("payer", "payer_number", "organisation", "attendee")
        .values_list("payer", "payer_number", "organisation", "attendee", "address", "attendees")
        .iterator(chunk_size=CHUNK_SIZE)
    )

    def registration_rows():
        for row in per_registration:
            yield [payers.get(row[0], row[0]), *row[1:], price]

    conflicts = payer_number_conflicts(event)

    def payer_rows():
        for payer, number, organisation, attendee, address, attendees in per_payer:
            name = attendee if payer == Registration.Payer.PERSONAL else organisation
            if (payer, number) in conflicts:
                # Never one organisation's name for another's people: all of them, flagged.
                name = _("CHECK: %(names)s") % {"names": " / ".join(conflicts[payer, number].names)}
            yield [payers.get(payer, payer), number, name, address, attendees, price * attendees]

    def conflict_rows():
        for conflict in conflicts.values():
            for organisation, attendees in conflict.organisations:
                yield [
                    payers.get(conflict.payer, conflict.payer),
                    conflict.number,
                    organisation,
                    attendees,
                ]

    number_label = _("EAN or CVR number")
    header = [field_label(Registration, "payer"), number_label]
    header += [field_label(Registration, name) for name in INVOICE_FIELDS[2:]]
    header += [_("Price (DKK)")]
    sums_header = [field_label(Registration, "payer"), number_label, _("Payer")]
    sums_header += [field_label(Registration, "invoice_address"), _("Attendees")]
    sums_header += [_("Amount (DKK)")]
    tables = [
        Table(_("Invoicing"), header, registration_rows()),
        Table(_("Sum per payer"), sums_header, payer_rows()),
    ]
    if conflicts:
        tables.append(
            Table(
                _("Check before invoicing"),
                [
                    field_label(Registration, "payer"),
                    number_label,
                    _("Organisation"),
                    _("Attendees"),
                ],
                conflict_rows(),
                preamble=[[conflicts_warning(conflicts.values())], []],
            )
        )
    return Listing(name=pgettext("file name", "invoicing"), tables=tables)


def conflicts_warning(conflicts) -> str:
    """What the invoicing list and the event's page say of numbers given with different names."""
    conflicts = list(conflicts)
    numbers = "; ".join(f"{c.number} ({', '.join(c.names)})" for c in conflicts)
    return ngettext(
        "One EAN or CVR number was given with different organisations' names: %(numbers)s. "
        "The invoicing list sums it as one payer: check which organisation is right before "
        "invoicing.",
        "%(count)d EAN or CVR numbers were given with different organisations' names: "
        "%(numbers)s. The invoicing list sums each as one payer: check which organisation is "
        "right before invoicing.",
        len(conflicts),
    ) % {"count": len(conflicts), "numbers": numbers}


# Formats ----------------------------------------------------------------------------


def count_rows(rows: Iterable, on_done: Callable[[int], None]) -> Iterator:
    """Pass ``rows`` through; when they have all gone by, tell ``on_done`` how many."""
    n = 0
    for row in rows:
        n += 1
        yield row
    on_done(n)


def count_tables(tables: list[Table], on_done: Callable[[int], None]) -> list[Table]:
    """The tables, whose rows together are counted; ``on_done`` gets the sum after the last."""
    counts = []

    def counted(rows, last: bool):
        def done(n: int) -> None:
            counts.append(n)
            if last:
                on_done(sum(counts))

        return count_rows(rows, done)

    return [
        replace(table, rows=counted(table.rows, n == len(tables) - 1))
        for n, table in enumerate(tables)
    ]


def csv_text(value, *, decimal_comma: bool):
    """A cell as text (numbers stay numbers): Danish times and dates, no leading whitespace."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value, VENUE_TZ).strftime("%d-%m-%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, int):
        return value
    # Tab, CR and spaces before "=" would hide it from the formula check.
    return str(value).lstrip()


def stream_csv(listing: Listing, *, delimiter: str) -> Iterator[bytes]:
    """The listing as CSV, in chunks of about ``CSV_BUFFER`` characters; tables apart by a blank line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    decimal_comma = delimiter == ";"
    buffer.write(BOM)
    for n, table in enumerate(listing.tables):
        if n:
            writer.writerow([])
            if not table.preamble:
                writer.writerow([table.title])
        for line in table.preamble:
            writer.writerow([csv_text(value, decimal_comma=decimal_comma) for value in line])
        writer.writerow(table.header)
        for row in table.rows:
            writer.writerow([csv_text(value, decimal_comma=decimal_comma) for value in row])
            if buffer.tell() >= CSV_BUFFER:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_cell(sheet, value):
    """A write-only cell; text is always a string cell, never a formula."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CELL])
        cell.data_type = "s"  # openpyxl takes text that starts with "=" for a formula
        return cell
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value, VENUE_TZ).replace(tzinfo=None, microsecond=0)
        cell = WriteOnlyCell(sheet, value=local)
        cell.number_format = "dd-mm-yyyy hh:mm"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "dd-mm-yyyy"
        return cell
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "#,##0.00"
        return cell
    return WriteOnlyCell(sheet, value=value)


def sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "-"


def unique_sheet_title(title: str, taken: set[str]) -> str:
    """``sheet_title``, made unique among ``taken`` (case-blind, as Excel is) and added to it."""
    candidate, n = sheet_title(title), 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = sheet_title(title)[: 31 - len(suffix)].rstrip() + suffix
    taken.add(candidate.casefold())
    return candidate


def write_xlsx(listing: Listing):
    """The listing as a workbook, one sheet per table, in a temporary file (read from its start)."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    titles = set()
    for table in listing.tables:
        sheet = workbook.create_sheet(unique_sheet_title(table.title, titles))
        sheet.freeze_panes = f"A{len(table.preamble) + 2}"
        for line in table.preamble:
            cells = [xlsx_cell(sheet, value) for value in line]
            if cells:
                cells[0].font = bold
            sheet.append(cells)
        header = [xlsx_cell(sheet, title) for title in table.header]
        for cell in header:
            cell.font = bold
        sheet.append(header)
        for row in table.rows:
            sheet.append([xlsx_cell(sheet, value) for value in row])
    file = tempfile.TemporaryFile()  # FileResponse closes it, which deletes it
    workbook.save(file)
    file.seek(0)
    return file


# Responses --------------------------------------------------------------------------


def ascii_slug(text: str) -> str:
    """A file name part: Danish letters spelt out (æ → ae, ø → oe, å → aa), then slugified."""
    for letter, spelt in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.replace(letter, spelt).replace(letter.upper(), spelt.capitalize())
    return slugify(text)


def file_name(event: Event, listing: Listing, fmt: str) -> str:
    """E.g. socialraadgiverdage-2017-deltagere-2026-11-22.csv."""
    extension = "xlsx" if fmt == Format.XLSX else "csv"
    name = ascii_slug(listing.name)
    return f"{event.slug}-{name}-{timezone.localdate().isoformat()}.{extension}"


def build_listing(kind: str, *, event: Event, workshop=None, registrations=None) -> Listing:
    if kind == Kind.ATTENDEES:
        return attendee_list(event)
    if kind == Kind.SELECTION:
        return attendee_list(event, registrations=registrations)
    if kind == Kind.ROOM_LIST:
        return room_list(workshop)
    if kind == Kind.ROOM_LISTS:
        return room_lists(event)
    if kind == Kind.CATERING:
        return catering(event)
    if kind == Kind.INVOICING:
        return invoicing(event)
    raise Http404("No such list.")


def export_response(
    request, *, kind: str, fmt: str, event: Event, workshop=None, registrations=None, listing=None
):
    """The list as a download, recorded as an ``ExportRecord``; 403 without the permission.

    CSV is streamed while it is read; the record's row count is written when
    the last row has gone out.
    """
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    if fmt not in Format.values:
        raise Http404("No such format.")
    if listing is None:  # else built by the caller (the draw's figures, draw_admin.py)
        listing = build_listing(kind, event=event, workshop=workshop, registrations=registrations)
    record = ExportRecord.objects.create(
        user=request.user,
        username=request.user.get_username(),
        kind=kind,
        format=fmt,
        event=event,
        workshop=workshop,
    )

    def finished(rows: int) -> None:
        # Called when the last row has been streamed, after the request's scope has
        # ended (django-scopes): this record is the one made above, found by its key.
        ExportRecord._base_manager.filter(pk=record.pk).update(row_count=rows)

    if kind == Kind.ROOM_LISTS:
        # Every table is of people: the count is all of them.
        listing = Listing(listing.name, count_tables(listing.tables, finished))
    else:
        first, *others = listing.tables
        counted = replace(first, rows=count_rows(first.rows, finished))
        listing = Listing(listing.name, [counted, *others])
    name = file_name(event, listing, fmt)
    if fmt == Format.XLSX:
        return FileResponse(
            write_xlsx(listing), as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE
        )
    delimiter = ";" if fmt == Format.CSV else ","
    response = StreamingHttpResponse(
        stream_csv(listing, delimiter=delimiter), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, name)
    # Personal data: never kept by a proxy or the browser's cache.
    response["Cache-Control"] = "no-store"
    return response
