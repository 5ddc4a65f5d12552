"""Writes of the programme that are more than one form's save."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import materials
from .models import (
    VENUE_TZ,
    Event,
    Material,
    MaterialUploadLink,
    Session,
    SessionSpeaker,
    Workshop,
    WorkshopBlock,
    WorkshopSpeaker,
)

COPIED_EVENT_FIELDS = [
    "organisation",
    "catering",
    "summary",
    "description",
    "organiser",
    "contact_name",
    "contact_email",
    "is_online",
    "venue",
    "address",
    "attendee_limit",
    "price",
    "practical_information",
    "online_link",
    "online_links_days_before",
]
COPIED_ITEM_FIELDS = ["starts", "ends"]


def duplicate_event(
    *,
    event: Event,
    title: str | None = None,
    slug: str | None = None,
    first_day: datetime.date | None = None,
) -> Event:
    """A draft copy of ``event`` with its whole programme, and no registrations.

    Copied: the event's details, its plenary sessions and workshop blocks, each
    block's workshops with their capacities, rooms, links and themes, and the
    speakers' links to sessions and workshops (the speakers themselves are
    shared, not copied). With ``first_day`` every day and time of the
    programme, and the registration and change deadlines, move by as many days
    (same wall-clock times in Copenhagen). The copy is titled "Kopi af …" and
    gets a free web address unless ``title`` and ``slug`` are given.

    One transaction; a fixed number of queries per kind of item (bulk inserts).
    """
    first_day = first_day or event.first_day
    shift = first_day - event.first_day
    with transaction.atomic():
        copy = Event.objects.create(
            **{name: getattr(event, name) for name in COPIED_EVENT_FIELDS},
            title=title or (_("Copy of %(title)s") % {"title": event.title})[:200],
            slug=slug or copy_slug(event),
            status=Event.Status.DRAFT,
            first_day=event.first_day + shift,
            last_day=event.last_day + shift,
            registration_opens=shift_time(event.registration_opens, shift),
            registration_closes=shift_time(event.registration_closes, shift),
            changes_close=shift_time(event.changes_close, shift),
        )
        _copy_sessions(event, copy, shift)
        _copy_blocks_and_workshops(event, copy, shift)
    return copy


def copy_slug(event: Event) -> str:
    """A free web address for a copy of ``event``: kopi-af-<its address>, -2, -3 …"""
    prefix = slugify(_("copy-of"))
    return free_slug(prefix + "-" + event.slug)


def free_slug(base: str) -> str:
    """``base`` (cut to fit), or ``base-2``, ``base-3`` … whichever no event has yet."""
    base = base[:90].rstrip("-")
    taken = set(Event.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def shift_time(moment: datetime.datetime | None, shift: datetime.timedelta):
    """The same wall-clock time in Copenhagen, ``shift`` days later (across summer time too)."""
    if moment is None:
        return None
    local = timezone.localtime(moment, VENUE_TZ)
    return datetime.datetime.combine(local.date() + shift, local.time(), tzinfo=VENUE_TZ)


def _copy_sessions(event: Event, copy: Event, shift: datetime.timedelta) -> None:
    sessions = list(event.sessions.order_by("pk"))
    copies = Session.objects.bulk_create(
        Session(
            event=copy,
            day=session.day + shift,
            kind=session.kind,
            title=session.title,
            description=session.description,
            **{name: getattr(session, name) for name in COPIED_ITEM_FIELDS},
        )
        for session in sessions
    )
    new_pk = {old.pk: new.pk for old, new in zip(sessions, copies, strict=True)}
    SessionSpeaker.objects.bulk_create(
        SessionSpeaker(
            session_id=new_pk[link.session_id],
            speaker_id=link.speaker_id,
            role=link.role,
            position=link.position,
        )
        for link in SessionSpeaker.objects.filter(session__event=event).order_by("pk")
    )


def _copy_blocks_and_workshops(event: Event, copy: Event, shift: datetime.timedelta) -> None:
    blocks = list(event.blocks.order_by("pk"))
    copies = WorkshopBlock.objects.bulk_create(
        WorkshopBlock(
            event=copy,
            day=block.day + shift,
            title=block.title,
            **{name: getattr(block, name) for name in COPIED_ITEM_FIELDS},
        )
        for block in blocks
    )
    new_block = {old.pk: new.pk for old, new in zip(blocks, copies, strict=True)}
    workshops = list(Workshop.objects.filter(block__event=event).order_by("pk"))
    workshop_copies = Workshop.objects.bulk_create(
        Workshop(
            block_id=new_block[workshop.block_id],
            title=workshop.title,
            description=workshop.description,
            capacity=workshop.capacity,
            room=workshop.room,
            online_link=workshop.online_link,
            theme=workshop.theme,
            position=workshop.position,
        )
        for workshop in workshops
    )
    new_workshop = {old.pk: new.pk for old, new in zip(workshops, workshop_copies, strict=True)}
    WorkshopSpeaker.objects.bulk_create(
        WorkshopSpeaker(
            workshop_id=new_workshop[link.workshop_id],
            speaker_id=link.speaker_id,
            role=link.role,
            position=link.position,
        )
        for link in WorkshopSpeaker.objects.filter(workshop__block__event=event).order_by("pk")
    )


# Materials ----------------------------------------------------------------------------


def make_upload_link(*, workshop: Workshop) -> str:
    """A new upload link for the workshop's speakers; returns its key (shown once, never stored).

    Any earlier link of the workshop stops working.
    """
    key = materials.new_upload_key()
    MaterialUploadLink._base_manager.update_or_create(
        workshop=workshop, defaults={"key_hash": materials.hash_upload_key(key)}
    )
    return key


def revoke_upload_links(*, workshops) -> int:
    """End the upload links of ``workshops``; returns how many there were."""
    deleted, _by_model = MaterialUploadLink._base_manager.filter(workshop__in=workshops).delete()
    return deleted


def find_upload_link(key: str) -> MaterialUploadLink | None:
    """The upload link with this key, with its workshop and event, or None."""
    if not key or len(key) > 100:
        return None
    return (
        MaterialUploadLink._base_manager.select_related("workshop__block__event")
        .filter(key_hash=materials.hash_upload_key(key))
        .first()
    )


def delete_materials(*, events) -> int:
    """Delete the materials of ``events`` (a queryset), their files first; returns how many.

    Each file is removed from the storage, then the rows; a file already gone
    is no error, so a run that stopped halfway is finished by the next.
    """
    found = list(Material._base_manager.filter(event__in=events).only("pk", "file"))
    for material in found:
        if material.file:
            material.file.storage.delete(material.file.name)
    Material._base_manager.filter(pk__in=[material.pk for material in found]).delete()
    return len(found)
