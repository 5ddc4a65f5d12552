"""Seats by preference (registrations/draws.py): rankings, the draw saved through the seat rows,
and what follows it."""

import datetime
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connections
from django.utils import timezone
from django_scopes import scopes_disabled

from events.models import Event, Workshop
from registrations import draws, services
from registrations.models import AllocationRun, Ranking, Registration, Seat, WaitlistEntry
from tests.factories import make_programme, make_registration

pytestmark = pytest.mark.django_db

_count = iter(range(1, 10**6))


def preference_event(**fields):
    fields.setdefault("blocks", 2)
    fields.setdefault("workshops_per_block", 4)
    fields.setdefault("preferences_close", timezone.now() + datetime.timedelta(days=7))
    return make_programme(seat_allocation=Event.SeatAllocation.PREFERENCES, **fields)


def workshop_ids(event):
    return {
        block.pk: list(block.workshops.order_by("pk").values_list("pk", flat=True))
        for block in event.blocks.order_by("pk")
    }


def attendee(**fields):
    n = next(_count)
    details = dict(
        name=f"Medlem {n}",
        email=f"medlem{n}@example.org",
        workplace="Glostrup Kommune",
        job_title="Socialrådgiver",
        sector=Registration.Sector.PUBLIC,
    )
    details.update(fields)
    return services.AttendeeDetails(**details)


def rank(event, *, order=(0, 1, 2), accept_any=False, **fields):
    """A member ranking the workshops at positions ``order`` of each block."""
    rankings = {block: [ids[i] for i in order] for block, ids in workshop_ids(event).items()}
    return draws.register_ranking(
        event=event, attendee=attendee(**fields), rankings=rankings, accept_any_workshop=accept_any
    )


def test_register_ranking_saves_the_wishes_and_mails_when_the_draw_is(
    django_capture_on_commit_callbacks,
):
    event = preference_event()
    ids = workshop_ids(event)

    with django_capture_on_commit_callbacks(execute=True):
        registration = rank(event, order=(2, 0, 1))

    assert registration.status == Registration.Status.RANKED
    assert list(registration.seats.all()) == []
    saved = list(
        Ranking.objects.filter(registration=registration)
        .order_by("block_id", "rank")
        .values_list("block_id", "workshop_id", "rank")
    )
    assert saved == [
        (block, ids[block][i], rank_) for block in ids for rank_, i in enumerate((2, 0, 1), 1)
    ]
    assert len(mail.outbox) == 1
    close = timezone.localtime(event.preferences_close)
    assert f"{close.day}. " in mail.outbox[0].body
    assert f"{close:%H.%M}" in mail.outbox[0].body
    assert "lodtrækning" in mail.outbox[0].body


def test_register_ranking_refuses_fewer_than_three_wishes_and_saves_nothing():
    event = preference_event()
    ids = workshop_ids(event)
    first, second = ids

    with pytest.raises(draws.InvalidChoices) as refused:
        draws.register_ranking(
            event=event,
            attendee=attendee(),
            rankings={first: ids[first][:3], second: ids[second][:2]},
        )

    assert refused.value.errors == {second: "Prioritér mindst 3 workshops i denne blok."}
    assert Registration.objects.count() == 0
    assert mail.outbox == []


def test_a_block_with_two_workshops_needs_both_ranked():
    event = preference_event(blocks=1, workshops_per_block=2)
    ((block, ids),) = workshop_ids(event).items()

    registration = draws.register_ranking(event=event, attendee=attendee(), rankings={block: ids})

    assert registration.rankings.count() == 2


def test_ranking_is_refused_once_the_window_has_closed():
    event = preference_event()

    with time_machine.travel(event.preferences_close + datetime.timedelta(seconds=1)):
        with pytest.raises(draws.RankingClosed):
            rank(event)

    assert Registration.objects.count() == 0


def test_change_ranking_replaces_the_wishes_until_the_window_closes():
    event = preference_event()
    ids = workshop_ids(event)
    registration = rank(event)
    new = {block: [workshops[3], workshops[2], workshops[1]] for block, workshops in ids.items()}

    draws.change_ranking(registration=registration, rankings=new, accept_any_workshop=True)

    registration.refresh_from_db()
    assert registration.accept_any_workshop is True
    for block, workshops in new.items():
        assert (
            list(
                registration.rankings.filter(block_id=block)
                .order_by("rank")
                .values_list("workshop_id", flat=True)
            )
            == workshops
        )
    with time_machine.travel(event.preferences_close):
        with pytest.raises(draws.RankingClosed):
            draws.change_ranking(registration=registration, rankings=new, accept_any_workshop=False)


def test_the_draw_gives_seats_through_the_seat_rows_and_records_the_run(
    django_capture_on_commit_callbacks,
):
    event = preference_event(capacity=2)
    members = [rank(event, order=(0, 1, 2)) for _ in range(3)]
    other = rank(event, order=(3, 0, 1))

    with django_capture_on_commit_callbacks(execute=True):
        outcome = draws.run_draw(event=event, seed=42)

    event.refresh_from_db()
    assert event.drawn_at is not None
    for registration in [*members, other]:
        registration.refresh_from_db()
        assert registration.status == Registration.Status.CONFIRMED
        assert registration.seats.count() == 2
    ids = workshop_ids(event)
    for block, workshops in ids.items():
        assert Seat.objects.filter(workshop_id=workshops[0]).count() == 2
        assert Seat.objects.get(registration=other, block_id=block).workshop_id == workshops[3]
        assert Workshop.objects.get(pk=workshops[0]).seats_taken == 2
    run = AllocationRun.objects.get(event=event)
    assert (run.seed, run.placed_count, run.waitlisted_count) == (42, 4, 0)
    assert run.method == outcome.method
    assert set(run.weights) == {str(r.pk) for r in [*members, other]}
    assert sorted(run.lottery) == sorted(r.pk for r in [*members, other])
    first_block = run.statistics[0]
    assert first_block["by_rank"] == {"1": 3, "2": 1, "3": 0, "other": 0, "any": 0}
    assert first_block["workshops"][0]["first_choice"] == 3
    assert len(mail.outbox) == 4
    assert {m.to[0] for m in mail.outbox} == {r.email for r in [*members, other]}
    assert all(m.attachments and m.attachments[0][0] == "program.ics" for m in mail.outbox)


def test_the_recorded_input_and_seed_give_the_same_draw_again():
    event = preference_event(capacity=1)
    for order in [(0, 1, 2), (0, 1, 2), (1, 0, 2), (2, 3, 0), (0, 2, 1)]:
        rank(event, order=order, accept_any=order[0] == 2)
    draws.run_draw(event=event, seed=2024)
    run = AllocationRun.objects.get()

    again = draws.replay(run)

    saved = {}
    for seat in Seat.objects.all():
        saved.setdefault(seat.registration_id, {})[seat.block_id] = seat.workshop_id
    assert again.seats == saved
    assert again.lottery == run.lottery
    assert {str(m): {str(b): w for b, w in ws.items()} for m, ws in again.weights.items()} == (
        run.weights
    )


def test_the_same_seed_gives_the_previewed_result():
    event = preference_event(capacity=1)
    for _ in range(4):
        rank(event, order=(0, 1, 2, 3))

    preview = draws.preview_draw(event=event, seed=7)
    again = draws.preview_draw(event=event, seed=7)

    assert Seat.objects.count() == 0
    assert AllocationRun.objects.count() == 0
    assert again.placed == preview.placed

    held = draws.run_draw(event=event, seed=7)

    assert held.placed == preview.placed
    assert {(s.registration_id, s.block_id): s.workshop_id for s in Seat.objects.all()} == {
        (m, b): w for m, seats in preview.placed.items() for b, w in seats.items()
    }


def test_the_draw_is_held_once():
    event = preference_event()
    rank(event)
    draws.run_draw(event=event)

    with pytest.raises(draws.AlreadyDrawn):
        draws.run_draw(event=event)
    with pytest.raises(draws.AlreadyDrawn):
        draws.preview_draw(event=event)

    assert AllocationRun.objects.count() == 1


def test_members_without_a_seat_in_their_wishes_wait_for_their_first_choices(
    django_capture_on_commit_callbacks,
):
    event = preference_event(blocks=1, workshops_per_block=3, capacity=1)
    ranked = [rank(event, order=(0, 1, 2)) for _ in range(4)]
    ((_block, ids),) = workshop_ids(event).items()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = draws.run_draw(event=event, seed=3)

    (waiting,) = outcome.waitlisted
    registration = Registration.objects.get(pk=waiting)
    assert registration.status == Registration.Status.WAITLISTED
    assert list(registration.waitlist_entries.values_list("workshop_id", flat=True)) == [ids[0]]
    assert sorted(outcome.placed) == sorted(r.pk for r in ranked if r.pk != waiting)
    waitlisted_mail = next(m for m in mail.outbox if m.to == [registration.email])
    assert "venteliste" in waitlisted_mail.subject


def test_accept_any_places_a_member_in_a_free_workshop():
    event = preference_event(blocks=1, workshops_per_block=4, capacity=1)
    rank(event, order=(0, 1, 2))
    rank(event, order=(0, 1, 2))
    rank(event, order=(0, 1, 2))
    lucky = rank(event, order=(0, 1, 2), accept_any=True)
    ((_block, ids),) = workshop_ids(event).items()

    draws.run_draw(event=event, seed=5)

    assert Seat.objects.count() == 4
    assert Seat.objects.get(registration=lucky).workshop_id == ids[3]


def test_after_the_draw_the_seats_left_go_first_come_and_cancelling_moves_the_waitlist():
    event = preference_event(blocks=1, workshops_per_block=3, capacity=1)
    ((block, ids),) = workshop_ids(event).items()
    for _ in range(3):
        rank(event, order=(0, 1, 2))
    waiting = rank(event, order=(0, 1, 2))
    draws.run_draw(event=event, seed=1)
    event.refresh_from_db()
    waiting_pk = WaitlistEntry.objects.get().registration_id
    seated = Seat.objects.get(workshop_id=ids[0]).registration

    services.cancel(registration=seated)

    assert Registration.objects.get(pk=waiting_pk).status == Registration.Status.CONFIRMED
    assert Seat.objects.get(workshop_id=ids[0]).registration_id == waiting_pk
    assert waiting.pk in {waiting_pk, *Seat.objects.values_list("registration_id", flat=True)}
    # The event is first come now: a new registration takes the seat left, if any.
    newcomer = make_registration(event, choices={block: ids[0]}, waitlist=True)
    assert newcomer.status == Registration.Status.WAITLISTED


def test_the_scheduled_draw_runs_for_events_whose_ranking_has_closed():
    event = preference_event()
    later = preference_event(preferences_close=timezone.now() + datetime.timedelta(days=9))
    rank(event)
    rank(later)

    with time_machine.travel(event.preferences_close + datetime.timedelta(minutes=1)):
        outcomes = draws.run_due_draws()

    assert [o.run.event_id for o in outcomes] == [event.pk]
    assert Registration.objects.filter(status=Registration.Status.RANKED).count() == 1


def test_an_attendee_limit_is_kept_by_the_draw():
    event = preference_event(attendee_limit=2)
    members = [rank(event) for _ in range(3)]

    outcome = draws.run_draw(event=event, seed=9)

    assert len(outcome.placed) == 2
    assert Registration.objects.filter(status=Registration.Status.CONFIRMED).count() == 2
    waiting = Registration.objects.get(status=Registration.Status.WAITLISTED)
    assert waiting.pk == outcome.result.lottery[2]
    assert waiting in members


@pytest.mark.django_db(transaction=True)
def test_two_draws_started_at_once_hold_one_and_a_ranking_meanwhile_is_in_it_or_refused():
    event = preference_event(capacity=3)
    for _ in range(4):
        rank(event)
    changing = rank(event)
    ids = workshop_ids(event)
    new = {block: workshops[1:] for block, workshops in ids.items()}
    start = threading.Barrier(5)
    outcomes = {}

    def act(name, action):
        try:
            start.wait(timeout=30)
            with scopes_disabled():
                action()
            outcomes[name] = "ok"
        except draws.RegistrationError as refused:
            outcomes[name] = type(refused).__name__
        finally:
            connections.close_all()

    actions = {
        "draw 1": lambda: draws.run_draw(event=event),
        "draw 2": lambda: draws.run_draw(event=event),
        "new 1": lambda: rank(event),
        "new 2": lambda: rank(event),
        "change": lambda: draws.change_ranking(
            registration=changing, rankings=new, accept_any_workshop=False
        ),
    }
    threads = [threading.Thread(target=act, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == sorted(actions)
    assert sorted([outcomes["draw 1"], outcomes["draw 2"]]) == ["AlreadyDrawn", "ok"]
    for name in ("new 1", "new 2", "change"):
        assert outcomes[name] in {"ok", "RankingClosed"}
    run = AllocationRun.objects.get()
    # Nobody left behind: every registration is in the draw, or was refused and not saved.
    assert Registration.objects.filter(status=Registration.Status.RANKED).count() == 0
    assert run.ranked_count == Registration.objects.count()
    assert run.ranked_count == 5 + [outcomes["new 1"], outcomes["new 2"]].count("ok")
    # The change is in the draw's input if it was made; refused, the old wishes are.
    wishes = run.inputs["rankings"][str(changing.pk)]["rankings"][str(min(ids))]
    changed = outcomes["change"] == "ok"
    assert wishes == (ids[min(ids)][1:] if changed else ids[min(ids)][:3])
    for workshop in Workshop.objects.all():
        assert workshop.seats_taken == workshop.seats.count() <= workshop.capacity
