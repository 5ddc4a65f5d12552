"""Import of an event's workshops and their speakers from a spreadsheet (django-import-export).

One row per workshop. Columns (English names, or the Danish ones the admin
shows; case and surrounding spaces do not matter):

- ``block``: the title of one of the event's workshop blocks, or its id;
- ``title``, ``description``, ``capacity`` (at least 1), ``room``,
  ``theme``, ``online_link``;
- ``speakers``: "Name, role, organisation; Name, role, organisation; …" -
  role and organisation may be left out. A speaker with the same name, role
  and organisation is reused, otherwise created; the workshop's speakers
  become exactly those listed, in that order. A sheet without this column
  leaves each workshop's speakers as they are.

A workshop is known by its block and title: importing the same sheet again
updates the workshops instead of adding them twice. Rows are checked first
(the admin shows a preview with each row's errors, and saves nothing while
any row has one), then imported in one transaction.

The programme knows nothing of seats: three hooks (``lock``,
``capacity_errors``, ``imported``) let the app that owns them take its locks
before the rows are read, refuse a capacity below the seats taken, and hand
new seats to the waitlists (registrations/admin.py, ``SeatsWorkshopResource``).
"""

import csv
import io

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV, XLSX
from openpyxl import Workbook
from openpyxl.styles import Font

from .models import Event, Speaker, Workshop, WorkshopBlock, WorkshopSpeaker

COLUMNS = ["block", "title", "description", "capacity", "room", "theme", "online_link", "speakers"]
# Other names a column may have in the sheet: the labels an organiser sees, in either language.
COLUMN_LABELS = {
    "block": _("workshop block"),
    "title": _("title"),
    "description": _("description"),
    "capacity": _("seats"),
    "room": _("room"),
    "theme": _("theme"),
    "online_link": _("online link"),
    "speakers": _("speakers"),
}


# Words organisers use for the columns beyond the labels above (Danish and English).
COLUMN_WORDS = {
    "blok": "block",
    "block title": "block",
    "kapacitet": "capacity",
    "online link": "online_link",
    "onlinelink": "online_link",
    "link": "online_link",
    "oplægsholder": "speakers",
    "speaker": "speakers",
}


def column_aliases() -> dict[str, str]:
    aliases = {}
    for language in ("en", "da"):
        with translation.override(language):
            for column, label in COLUMN_LABELS.items():
                aliases[str(label).casefold()] = column
    aliases.update({column: column for column in COLUMNS})
    aliases.update(COLUMN_WORDS)
    return aliases


def parse_speakers(text: str) -> list[tuple[str, str, str]]:
    """ "Anne Steffensen, socialrådgiver, Glostrup Kommune; Ayhan Gormez" → (name, role, organisation)s."""
    speakers = []
    for entry in (text or "").split(";"):
        if not entry.strip():
            continue
        name, role, organisation = ([part.strip() for part in entry.split(",", 2)] + ["", ""])[:3]
        if not name:
            raise ValueError(
                gettext("A speaker has no name: “%(entry)s”.") % {"entry": entry.strip()}
            )
        speakers.append((name, role, organisation))
    return speakers


class SpreadsheetCSV(CSV):
    """CSV with "," or ";" between cells: Danish Excel saves with ";"."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes) and self.encoding:
            in_stream = in_stream.decode(self.encoding)
        first_line = in_stream.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        return super().create_dataset(in_stream, delimiter=delimiter, **kwargs)


IMPORT_FORMATS = [SpreadsheetCSV, XLSX]


class BlockWidget(widgets.ForeignKeyWidget):
    """A block of the chosen event, by its title (any case) or its id."""

    def __init__(self, event: Event | None):
        super().__init__(WorkshopBlock)
        self.event = event
        self._blocks = None

    def blocks(self) -> list[WorkshopBlock]:
        if self._blocks is None:
            self._blocks = list(WorkshopBlock.objects.filter(event=self.event))
        return self._blocks

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if not text:
            raise ValueError(gettext("Give the workshop's block."))
        if text.endswith(".0"):  # a number from a spreadsheet cell
            text = text[:-2]
        found = [
            block
            for block in self.blocks()
            if str(block.pk) == text or block.title.strip().casefold() == text.casefold()
        ]
        if len(found) != 1:
            titles = ", ".join(f"“{block.title}”" for block in self.blocks())
            message = gettext("The event has no block “%(block)s”. Its blocks: %(titles)s.")
            if len(found) > 1:
                message = gettext(
                    "The event has more than one block called “%(block)s”: use its id."
                )
            raise ValueError(message % {"block": text, "titles": titles})
        return found[0]

    def render(self, value, obj=None, **kwargs):
        return value.title if value else ""


class HttpsLinkWidget(widgets.CharWidget):
    """A link typed without a scheme (meet.example.org/…) is taken as https, as in the admin."""

    def clean(self, value, row=None, **kwargs):
        link = (super().clean(value, row, **kwargs) or "").strip()
        if link and "://" not in link:
            link = "https://" + link
        return link


class WorkshopResource(resources.ModelResource):
    block = fields.Field(attribute="block", column_name="block", widget=BlockWidget(None))
    online_link = fields.Field(
        attribute="online_link", column_name="online_link", widget=HttpsLinkWidget()
    )
    speakers = fields.Field(column_name="speakers")

    class Meta:
        model = Workshop
        fields = COLUMNS
        import_id_fields = ["block", "title"]
        clean_model_instances = True
        skip_unchanged = False
        use_bulk = False
        use_transactions = True  # the hooks' locks last until the import commits

    def __init__(self, event: Event | None = None, **kwargs):
        super().__init__(**kwargs)
        self.event = event
        self.fields["block"].widget = BlockWidget(event)

    @classmethod
    def get_display_name(cls):
        return gettext("Workshops with speakers")

    def get_queryset(self):
        return Workshop.objects.filter(block__event=self.event)

    def before_import(self, dataset, **kwargs):
        if self.event is None:
            raise ValueError(gettext("Choose the event to import into."))
        aliases = column_aliases()
        dataset.headers = [
            aliases.get(str(header or "").strip().casefold(), str(header or "").strip())
            for header in dataset.headers
        ]
        blank = [n for n, row in enumerate(dataset) if all(v in (None, "") for v in row)]
        for n in reversed(blank):
            del dataset[n]
        self.lock()

    # Hooks for the app that owns the seats -----------------------------------------------

    def lock(self) -> None:
        """In the import's transaction, before any row is read: take the locks that keep
        what ``capacity_errors`` checks true until the import commits. Nothing here."""

    def capacity_errors(self, workshop: Workshop) -> list[ValidationError]:
        """Errors of the ``workshop``'s capacity beyond the model's own. None here."""
        return []

    def imported(self) -> None:
        """After a real (not a preview) import, in its transaction. Nothing here."""

    # -------------------------------------------------------------------------------------

    def get_or_init_instance(self, instance_loader, row):
        # A workshop is found by its block: a block that is not the event's is
        # an error at the row's block, not a failure of the import.
        try:
            return super().get_or_init_instance(instance_loader, row)
        except ValueError as error:
            raise ValidationError({"block": [str(error)]}) from error

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        try:
            # A sheet without the column leaves the workshop's speakers as they are.
            instance.imported_speakers = (
                parse_speakers(row.get("speakers")) if "speakers" in row else None
            )
        except ValueError as error:
            errors["speakers"] = [ValidationError(str(error), code="invalid")]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.capacity is not None:
            for error in self.capacity_errors(instance):
                errors.setdefault("capacity", []).append(error)
        super().validate_instance(instance, errors, validate_unique)

    def after_save_instance(self, instance, row, **kwargs):
        if instance.imported_speakers is None:
            return
        links = []
        for position, (name, role, organisation) in enumerate(instance.imported_speakers):
            known = {
                "owner": self.event.organisation,
                "name": name,
                "role": role,
                "organisation": organisation,
            }
            speaker = Speaker.objects.filter(**known).first() or Speaker.objects.create(**known)
            links.append(WorkshopSpeaker(workshop=instance, speaker=speaker, position=position))
        WorkshopSpeaker.objects.filter(workshop=instance).delete()
        WorkshopSpeaker.objects.bulk_create(links, ignore_conflicts=True)

    def dehydrate_speakers(self, workshop):
        if workshop.pk is None:
            return ""
        return "; ".join(
            ", ".join(
                part
                for part in (link.speaker.name, link.speaker.role, link.speaker.organisation)
                if part
            )
            for link in workshop.speaker_links.select_related("speaker")
        )

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not kwargs.get("dry_run") and self.event is not None:
            self.imported()


# The template organisers download: the columns, with example rows --------------------------

# What each column holds, for the import page and the template's "Vejledning" sheet.
COLUMN_HELP = {
    "block": _(
        "Required. The title of one of the event's workshop blocks, exactly as on the event's "
        "page (or its number)."
    ),
    "title": _(
        "Required. The workshop's title. A workshop with the same block and title is "
        "updated, not added twice."
    ),
    "description": _("Optional. What the workshop is about; shown on the programme."),
    "capacity": _("Required. How many seats the workshop has: a whole number, at least 1."),
    "room": _("Optional. Where it is held, e.g. Lokale 2."),
    "theme": _("Optional. E.g. børn/familie, beskæftigelse, udsatte, forskning, profession."),
    "online_link": _("Optional. The link to the break-out room of an online workshop."),
    "speakers": _(
        "Optional. One or more speakers, separated by semicolons; for each: name, role, "
        "organisation, separated by commas (role and organisation may be left out). A sheet "
        "without this column leaves the speakers as they are; an empty cell removes them."
    ),
}

# Two workshops of the Faglig Fællesskabsdag (seed 000), as an organiser would type them.
EXAMPLE_WORKSHOPS = [
    {
        "title": "Socialrådgiverens rolle i den nye beskæftigelsesindsats",
        "description": "Om at være fagprofessionel på et stramt reguleret område.",
        "capacity": 30,
        "room": "Lokale 1",
        "theme": "beskæftigelse",
        "online_link": "",
        "speakers": "Anne Steffensen, socialrådgiver, Glostrup Kommune; "
        "Ayhan Gormez, teamleder, Aarhus Kommune",
    },
    {
        "title": "Børn og unge med udfordringer",
        "description": "Hvordan vi samarbejder med familien om barnets trivsel.",
        "capacity": 25,
        "room": "Lokale 2",
        "theme": "børn/familie",
        "online_link": "",
        "speakers": "Bente Holm, sociolog og lektor emeritus",
    },
]


def template_header() -> list[str]:
    """The columns as the organiser reads them, in the active language (the import takes them)."""
    return [str(COLUMN_LABELS[column]).capitalize() for column in COLUMNS]


def template_rows(event: Event | None) -> list[list[object]]:
    """The example workshops, in the first blocks of ``event`` (or blocks named as is usual)."""
    blocks = [block.title for block in WorkshopBlock.objects.filter(event=event)] if event else []
    blocks = blocks or [gettext("Workshops, block 1"), gettext("Workshops, block 2")]
    return [
        [blocks[n % len(blocks)] if column == "block" else example[column] for column in COLUMNS]
        for n, example in enumerate(EXAMPLE_WORKSHOPS)
    ]


def template_xlsx(event: Event | None) -> bytes:
    """The template as an .xlsx: the columns and the examples, then a sheet that explains them."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Workshops")
    sheet.append(template_header())
    for row in template_rows(event):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGH", (22, 45, 45, 10, 12, 16, 30, 70), strict=True):
        sheet.column_dimensions[column].width = width
    guide = workbook.create_sheet(gettext("Guide"))
    guide.append([gettext("Column"), gettext("What it holds")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column, label in zip(COLUMNS, template_header(), strict=True):
        guide.append([label, str(COLUMN_HELP[column])])
    guide.append([])
    guide.append([gettext("Only the sheet “%(sheet)s” is imported.") % {"sheet": sheet.title}])
    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["B"].width = 110
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv(event: Event | None) -> bytes:
    """The template as CSV for Danish Excel: UTF-8 with a byte order mark, ";" between cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(template_header())
    writer.writerows(template_rows(event))
    return ("\ufeff" + buffer.getvalue()).encode()
