"""The programme's reads: the hand-written ones give what their querysets give."""

import pytest
from django.http import Http404

from events.models import Event, WorkshopBlock
from events.selectors import event_seats, get_public_event_with_programme_version
from tests.factories import make_block, make_event, make_programme, make_workshop

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [Event.Status.PUBLISHED, Event.Status.CANCELLED])
def test_the_public_event_comes_with_its_programme_version_as_the_querysets_give_it(status):
    event = make_programme(blocks=2, status=status)
    make_workshop(event.blocks.first())  # counts the version up

    found = get_public_event_with_programme_version(slug=event.slug)
    expected = Event.objects.public().with_programme_version().get(slug=event.slug)

    assert [getattr(found, f.attname) for f in Event._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in Event._meta.concrete_fields
    ]
    assert (found.programme_version, type(found.programme_version)) == (
        expected.programme_version,
        int,
    )


def test_an_event_whose_programme_never_changed_has_no_programme_version():
    event = make_event(status=Event.Status.PUBLISHED)

    assert get_public_event_with_programme_version(slug=event.slug).programme_version is None


@pytest.mark.parametrize("slug", ["a-draft", "no-such-event"])
def test_a_draft_or_unknown_event_is_not_found(slug):
    make_event(slug="a-draft", status=Event.Status.DRAFT)

    with pytest.raises(Http404):
        get_public_event_with_programme_version(slug=slug)


def test_event_seats_are_each_workshops_seats_and_blocks_without_workshops():
    event = make_programme(blocks=2)
    make_block(event, title="Tom blok")
    make_programme(blocks=1)  # another event's

    expected = WorkshopBlock.objects.filter(event_id=event.pk).values_list(
        "pk", "workshops__pk", "workshops__capacity", "workshops__seats_taken"
    )

    assert sorted(event_seats(event.pk), key=repr) == sorted(expected, key=repr)
    assert len(event_seats(event.pk)) == 2 * 4 + 1  # the workshops, and the empty block


def test_a_draft_is_shown_to_the_people_of_its_organisation_and_to_superusers_only():
    from django.contrib.auth.models import AnonymousUser, User

    from events.selectors import get_visible_event
    from tests.factories import make_member, make_organisation

    draft = make_event(status=Event.Status.DRAFT)
    own = User.objects.create_user("egen", is_staff=True)
    make_member(own, organisation=draft.organisation)
    other = User.objects.create_user("anden", is_staff=True)
    make_member(other, organisation=make_organisation("KKR Midtjylland"))
    boss = User.objects.create_superuser("chef")

    def sees(user) -> bool:
        try:
            return get_visible_event(slug=draft.slug, user=user) == draft
        except Http404:
            return False

    assert [sees(user) for user in (own, boss, other, AnonymousUser())] == [
        True,
        True,
        False,
        False,
    ]
