"""The draw (registrations/allocation.py): optimal on small cases, and its invariants."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from registrations.allocation import Preferences, block_cost, draw


def brute_force_block(members, capacities, rankings, accept_any, weights):
    """The least Σ weight × rank² over every placement of ``members`` in one block that
    places as many as can be placed (None: unplaced)."""
    workshops = sorted(capacities)
    unranked = len(workshops) + 1
    best = None
    for choice in itertools.product([None, *workshops], repeat=len(members)):
        if any(choice.count(w) > capacities[w] for w in workshops):
            continue
        cost, placed = 0, 0
        for member, workshop in zip(members, choice, strict=True):
            if workshop is None:
                continue
            ranking = rankings[member]
            if workshop in ranking:
                rank = ranking.index(workshop) + 1
            elif accept_any[member]:
                rank = unranked
            else:
                break
            placed += 1
            cost += weights[member] * rank * rank
        else:
            key = (-placed, cost)
            if best is None or key < best:
                best = key
    return best


def test_draw_gives_the_first_choice_where_seats_allow():
    blocks = {1: {10: 1, 11: 1}}
    preferences = [
        Preferences(member=1, rankings={1: (10, 11)}),
        Preferences(member=2, rankings={1: (11, 10)}),
    ]

    result = draw(blocks=blocks, preferences=preferences, seed=1)

    assert result.seats == {1: {1: 10}, 2: {1: 11}}
    assert result.ranks == {1: {1: 1}, 2: {1: 1}}
    assert result.waitlists == {}


def test_draw_spreads_disappointment_rather_than_piling_it_on_one():
    # Two seats each in A and B, one in C; all three want A then B then C. The squared
    # rank prefers 1+2+... over giving one member their third choice when it can.
    blocks = {1: {"A": 1, "B": 1, "C": 1}}
    preferences = [
        Preferences(member=1, rankings={1: ("A", "B", "C")}),
        Preferences(member=2, rankings={1: ("A", "B")}),
        Preferences(member=3, rankings={1: ("A",)}),
    ]

    result = draw(blocks=blocks, preferences=preferences, seed=3)

    # Member 3 ranks only A, member 2 only A and B: the only way to place all three.
    assert result.seats == {1: {1: "C"}, 2: {1: "B"}, 3: {1: "A"}}


def test_whoever_lost_in_one_block_comes_first_in_the_next():
    blocks = {1: {"A1": 1, "B1": 1}, 2: {"A2": 1, "B2": 1}}
    preferences = [
        Preferences(member=m, rankings={1: ("A1", "B1"), 2: ("A2", "B2")}) for m in (1, 2)
    ]

    for seed in range(20):
        result = draw(blocks=blocks, preferences=preferences, seed=seed)
        first, second = result.block_order
        lost_first = next(m for m in (1, 2) if result.ranks[m][first] == 2)

        assert result.ranks[lost_first][second] == 1
        assert result.weights[lost_first][second] == 2


def test_members_who_cannot_be_placed_wait_for_their_first_choices():
    blocks = {1: {"A1": 1}, 2: {"A2": 1, "B2": 1}}
    preferences = [
        Preferences(member=1, rankings={1: ("A1",), 2: ("A2", "B2")}),
        Preferences(member=2, rankings={1: ("A1",), 2: ("B2", "A2")}),
    ]

    result = draw(blocks=blocks, preferences=preferences, seed=7)

    placed, waiting = (1, 2) if 1 in result.seats else (2, 1)
    assert list(result.seats) == [placed]
    assert result.waitlisted == [waiting]
    assert result.waitlists == {
        "A1": [waiting],
        preferences[waiting - 1].rankings[2][0]: [waiting],
    }


def test_accept_any_places_a_member_in_a_workshop_they_did_not_rank():
    blocks = {1: {"A": 1, "B": 1}}
    preferences = [
        Preferences(member=1, rankings={1: ("A",)}, accept_any=False),
        Preferences(member=2, rankings={1: ("A",)}, accept_any=True),
    ]

    result = draw(blocks=blocks, preferences=preferences, seed=11)

    assert result.seats == {1: {1: "A"}, 2: {1: "B"}}
    assert result.ranks[2] == {1: None}


def test_a_ranking_of_another_blocks_workshop_is_refused():
    blocks = {1: {"A": 1}, 2: {"B": 1}}
    preferences = [Preferences(member=1, rankings={1: ("B",), 2: ("B",)})]

    try:
        draw(blocks=blocks, preferences=preferences, seed=1)
    except ValueError as refused:
        assert "not valid" in str(refused)
    else:
        raise AssertionError("a ranking naming another block's workshop was accepted")


small_case = st.integers(min_value=1, max_value=3).flatmap(
    lambda workshop_count: st.tuples(
        st.lists(
            st.integers(min_value=1, max_value=2), min_size=workshop_count, max_size=workshop_count
        ),
        st.lists(
            st.tuples(
                st.permutations(range(workshop_count)),
                st.integers(1, workshop_count),
                st.booleans(),
            ),
            min_size=1,
            max_size=5,
        ),
        st.integers(min_value=0, max_value=2**32),
    )
)


@settings(max_examples=60, deadline=None)
@given(small_case)
def test_a_block_is_drawn_at_the_brute_force_optimum(case):
    capacities_list, members, seed = case
    capacities = dict(enumerate(capacities_list))
    rankings = {m: tuple(order[:length]) for m, (order, length, _) in enumerate(members)}
    accept_any = {m: any_ for m, (_, _, any_) in enumerate(members)}
    preferences = [
        Preferences(member=m, rankings={0: rankings[m]}, accept_any=accept_any[m]) for m in rankings
    ]

    result = draw(blocks={0: capacities}, preferences=preferences, seed=seed)

    weights = dict.fromkeys(rankings, 1)
    best_placed, best_cost = brute_force_block(
        sorted(rankings), capacities, rankings, accept_any, weights
    )
    assert (-len(result.seats), block_cost(result, 0, capacities)) == (best_placed, best_cost)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.permutations(range(3)), min_size=2, max_size=4).flatmap(
        lambda orders: st.tuples(
            st.just(orders),
            st.lists(st.permutations(range(3)), min_size=len(orders), max_size=len(orders)),
            st.integers(min_value=0, max_value=2**32),
        )
    )
)
def test_every_block_is_drawn_at_its_optimum_given_the_weights(case):
    first_block, second_block, seed = case
    capacities = {0: 2, 1: 1, 2: 1}
    blocks = {"b1": capacities, "b2": capacities}
    preferences = [
        Preferences(member=m, rankings={"b1": tuple(first_block[m]), "b2": tuple(second_block[m])})
        for m in range(len(first_block))
    ]
    rankings = {
        "b1": dict(enumerate(map(tuple, first_block))),
        "b2": dict(enumerate(map(tuple, second_block))),
    }

    result = draw(blocks=blocks, preferences=preferences, seed=seed)

    members = sorted(result.seats)
    for block in blocks:
        weights = {m: result.weights[m][block] for m in members}
        _, best = brute_force_block(
            members, capacities, rankings[block], dict.fromkeys(members, False), weights
        )
        assert block_cost(result, block, capacities) == best


workshop_ids = st.integers(min_value=0, max_value=5)
programme = st.dictionaries(
    st.integers(min_value=0, max_value=3),
    st.dictionaries(workshop_ids, st.integers(min_value=1, max_value=4), min_size=1, max_size=4),
    min_size=1,
    max_size=3,
)


@st.composite
def draws_input(draw_value):
    blocks = draw_value(programme)
    # Workshop ids unique across blocks, as in the database.
    blocks = {b: {(b, w): seats for w, seats in ws.items()} for b, ws in blocks.items()}
    member_count = draw_value(st.integers(min_value=0, max_value=25))
    preferences = []
    for member in range(member_count):
        rankings = {}
        for block, workshops in blocks.items():
            order = draw_value(st.permutations(sorted(workshops)))
            rankings[block] = tuple(order[: draw_value(st.integers(1, len(order)))])
        preferences.append(
            Preferences(member=member, rankings=rankings, accept_any=draw_value(st.booleans()))
        )
    return blocks, preferences, draw_value(st.integers(min_value=0, max_value=2**63))


@settings(max_examples=80, deadline=None)
@given(draws_input())
def test_no_workshop_is_over_capacity_and_everyone_placed_has_one_per_block(case):
    blocks, preferences, seed = case

    result = draw(blocks=blocks, preferences=preferences, seed=seed)

    taken = {}
    for seats in result.seats.values():
        assert set(seats) == set(blocks)
        for block, workshop in seats.items():
            assert workshop in blocks[block]
            taken[workshop] = taken.get(workshop, 0) + 1
    for workshops in blocks.values():
        for workshop, capacity in workshops.items():
            assert taken.get(workshop, 0) <= capacity
    waiting = {m for members in result.waitlists.values() for m in members}
    assert waiting.isdisjoint(result.seats)
    assert set(result.seats) | set(result.waitlisted) == {p.member for p in preferences}


@settings(max_examples=40, deadline=None)
@given(draws_input())
def test_the_same_seed_gives_the_same_draw_whatever_the_input_order(case):
    blocks, preferences, seed = case

    first = draw(blocks=blocks, preferences=preferences, seed=seed)
    again = draw(blocks=dict(reversed(blocks.items())), preferences=preferences[::-1], seed=seed)

    assert again == first
