import pytest

from events.models import Event, Workshop, WorkshopBlock
from events.selectors import CompiledQuery, CompiledRead, event_block_ids
from tests.factories import make_programme

pytestmark = pytest.mark.django_db


def test_a_compiled_query_gives_what_its_queryset_gives_for_every_shape_of_arguments():
    event = make_programme(blocks=3, workshops_per_block=3)
    other = make_programme(blocks=1, workshops_per_block=2)
    compiled = CompiledQuery(
        lambda event_id, workshop_ids: Workshop.objects.filter(
            pk__in=workshop_ids, block__event=event_id
        ).order_by("pk")
    )
    ours = list(Workshop.objects.filter(block__event=event).values_list("pk", flat=True))
    theirs = list(Workshop.objects.filter(block__event=other).values_list("pk", flat=True))

    for event_id, workshop_ids in [
        (event.pk, ours[:1]),
        (event.pk, ours[:4]),
        (event.pk, [theirs[0], ours[2]]),  # another event's workshop is not found
        (other.pk, theirs),
        (other.pk, ours[:4]),  # the shape compiled above, with the other event
    ]:
        sql, params = compiled.sql(event_id, workshop_ids)
        found = [workshop.pk for workshop in Workshop.objects.raw(sql, params)]
        assert found == list(
            Workshop.objects.filter(pk__in=workshop_ids, block__event=event_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    assert len(compiled.compiled) == 3  # one SQL per number of workshop ids


def test_a_compiled_query_keeps_the_querysets_own_parameters_and_takes_texts():
    event = make_programme(blocks=1, workshops_per_block=1, status=Event.Status.PUBLISHED)
    make_programme(blocks=1, workshops_per_block=1, status=Event.Status.DRAFT, slug="kladde")
    compiled = CompiledQuery(lambda slug: Event.objects.public().filter(slug=slug))

    for slug, found in [(event.slug, [event.pk]), ("kladde", []), ("ukendt", [])]:
        sql, params = compiled.sql(slug)
        assert [e.pk for e in Event.objects.raw(sql, params)] == found
    assert len(compiled.compiled) == 1


def test_a_compiled_query_refuses_a_lookup_that_changes_its_argument():
    compiled = CompiledQuery(lambda title: WorkshopBlock.objects.filter(title__icontains=title))

    with pytest.raises(ValueError, match="each argument once"):
        compiled.sql("blok")


def test_a_compiled_read_gives_the_rows_of_the_event_it_is_given():
    event = make_programme(blocks=2)
    other = make_programme(blocks=3)
    read = CompiledRead(
        lambda event_id: (
            WorkshopBlock.objects.filter(event_id=event_id)
            .order_by("pk")
            .values_list("pk", "event")
        )
    )

    assert read(event.pk) == tuple((block.pk, event.pk) for block in event.blocks.order_by("pk"))
    assert len(read(other.pk)) == 3
    assert {pk for (pk,) in event_block_ids(other.pk)} == set(
        other.blocks.values_list("pk", flat=True)
    )
