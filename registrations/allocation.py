"""The draw: workshop seats given by the members' rankings, optimal, fair and repeatable.

Pure: plain values in, plain values out, no Django models and no database, so
the benchmark (bench/allocation.py) and the property tests run it as it is;
``registrations.draws`` reads the rankings, calls ``draw`` and saves the result
through the seat machinery.

How it decides, block by block:

- The blocks are taken in a seeded lottery order, and each block is one
  min-cost flow problem (source → member → workshop → sink; a workshop's arc
  to the sink has its seats as capacity). It places as many members as the
  seats allow and, among those placements, minimises the sum of
  ``weight × rank²`` (rank 1 = first choice). The square makes a third choice
  for one member cost more than a second choice for two: the draw spreads
  disappointment rather than piling it on a few.
- Fairness across blocks: each member's weight starts at 1 and grows by the
  ranks they lost in the blocks drawn before (``rank - 1``), so whoever got a
  low choice in one block is placed first in the next.
- Ties are broken by a seeded lottery of the members: each arc's cost gets a
  small integer perturbation that grows with the member's place in the lottery
  and with the rank, scaled so that all perturbations together are smaller
  than one unit of the real cost. They can decide only between placements of
  equal real cost, never make a worse one win.
- A member who ticked "any workshop is fine" (``accept_any``) may also be
  placed in a workshop they did not rank, at the cost of a rank worse than any
  ranked one.
- A member must have one workshop in every block or none: whoever cannot be
  placed in some block is taken out and the draw is made again without them,
  until everyone left is placed in every block. Those taken out wait
  (``waitlists``) for their first choice in each block, in lottery order.

The same input and seed give the same result, whatever order the input
comes in: members and blocks are sorted before the lottery shuffles them.

Why OR-Tools' ``SimpleMinCostFlow`` and not ``scipy.optimize.linear_sum_assignment``:
a workshop's seats are one arc's capacity, where an assignment matrix needs a
column per seat (2,000 members × ~2,100 seat columns per block, mostly copies);
the costs stay exact integers (the lottery's perturbation is an integer too,
no floating-point ties); it finds the maximum number placed at minimum cost in
one call (``solve_max_flow_with_min_cost``), where an unplaceable member would
otherwise need a dummy column and a big-M cost; and it solves a full
Socialrådgiverdage (2,000 members × 6 blocks × 16 workshops) in well under a
second (bench/allocation.py).
"""

import random
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from ortools.graph.python import min_cost_flow

METHOD = (
    "min-cost flow (OR-Tools SimpleMinCostFlow), block by block in lottery order; "
    "cost = weight × rank², weight = 1 + ranks lost in earlier blocks; "
    "ties by a seeded lottery; unranked workshop = rank (workshops in block + 1)"
)

Member = Hashable
Block = Hashable
Workshop = Hashable


@dataclass(frozen=True)
class Preferences:
    """One member's wishes: per block, the workshops in the order they want them."""

    member: Member
    rankings: Mapping[Block, tuple[Workshop, ...]]
    accept_any: bool = False


@dataclass(frozen=True)
class Draw:
    """What the draw decided, and everything needed to show it was done fairly.

    ``seats``: member → block → workshop, for every placed member (one per block).
    ``waitlists``: workshop → members waiting for it, in order (lottery order).
    ``ranks``: member → block → the rank of the workshop they got, ``None``
    for a workshop they did not rank (``accept_any``).
    ``weights``: member → block → the weight their cost had in that block.
    ``lottery``: the members in the seeded lottery's order; ``block_order``:
    the order the blocks were drawn in.
    """

    seats: dict[Member, dict[Block, Workshop]]
    waitlists: dict[Workshop, list[Member]]
    ranks: dict[Member, dict[Block, int | None]]
    seed: int
    method: str
    weights: dict[Member, dict[Block, int]]
    lottery: list[Member]
    block_order: list[Block] = field(default_factory=list)

    @property
    def waitlisted(self) -> list[Member]:
        """The members placed nowhere, in lottery order."""
        return [member for member in self.lottery if member not in self.seats]


def draw(
    *,
    blocks: Mapping[Block, Mapping[Workshop, int]],
    preferences: Iterable[Preferences],
    seed: int,
) -> Draw:
    """Place the members: at most ``blocks[block][workshop]`` seats in each workshop,
    exactly one workshop per block for each placed member (module docstring).

    Members, blocks and workshops must be sortable (database ids are).
    A ranking that names a workshop not in its block is refused (``ValueError``).
    """
    by_member = {preference.member: preference for preference in preferences}
    for preference in by_member.values():
        for block, ranking in preference.rankings.items():
            unknown = [workshop for workshop in ranking if workshop not in blocks.get(block, {})]
            if unknown or len(set(ranking)) != len(ranking):
                raise ValueError(f"Ranking of {preference.member!r} in {block!r} is not valid.")
    rng = random.Random(seed)
    lottery = sorted(by_member)
    rng.shuffle(lottery)
    block_order = sorted(blocks)
    rng.shuffle(block_order)

    taken_out: set[Member] = set()
    while True:
        members = [member for member in lottery if member not in taken_out]
        seats, ranks, weights = _draw_blocks(blocks, block_order, members, by_member)
        unplaced = {member for member in members if len(seats[member]) < len(blocks)}
        if not unplaced:
            break
        taken_out |= unplaced

    waitlists: dict[Workshop, list[Member]] = {}
    for member in lottery:
        if member not in taken_out:
            continue
        for block in block_order:
            ranking = by_member[member].rankings.get(block, ())
            if ranking:
                waitlists.setdefault(ranking[0], []).append(member)
    return Draw(
        seats={member: seats[member] for member in members},
        waitlists=waitlists,
        ranks={member: ranks[member] for member in members},
        seed=seed,
        method=METHOD,
        weights={member: weights[member] for member in members},
        lottery=lottery,
        block_order=block_order,
    )


def _draw_blocks(blocks, block_order, members, by_member):
    """One pass over the blocks for ``members`` (in lottery order)."""
    seats: dict[Member, dict] = {member: {} for member in members}
    ranks: dict[Member, dict] = {member: {} for member in members}
    weights: dict[Member, dict] = {member: {} for member in members}
    weight = dict.fromkeys(members, 1)
    for block in block_order:
        capacities = blocks[block]
        unranked = len(capacities) + 1
        placed = _draw_block(
            capacities=capacities,
            members=members,
            rankings={member: by_member[member].rankings.get(block, ()) for member in members},
            accept_any={member: by_member[member].accept_any for member in members},
            weight=weight,
        )
        for member in members:
            weights[member][block] = weight[member]
        for member, workshop in placed.items():
            ranking = by_member[member].rankings.get(block, ())
            rank = ranking.index(workshop) + 1 if workshop in ranking else None
            seats[member][block] = workshop
            ranks[member][block] = rank
            weight[member] += (rank or unranked) - 1
    return seats, ranks, weights


def _draw_block(*, capacities, members, rankings, accept_any, weight) -> dict:
    """The optimal placement of ``members`` (in lottery order) in one block."""
    workshops = sorted(capacities)
    count = len(members)
    unranked = len(workshops) + 1
    # All perturbations together (count members × at most count × unranked² each)
    # stay below one unit of the real cost.
    scale = count * count * unranked * unranked + 1
    source, sink = 0, count + len(workshops) + 1
    node = {workshop: count + 1 + index for index, workshop in enumerate(workshops)}
    tails, heads, capacity, costs = [], [], [], []
    for index, member in enumerate(members):
        tails.append(source)
        heads.append(index + 1)
        capacity.append(1)
        costs.append(0)
        # The first in the lottery loses most by a worse rank: ties go their way.
        lottery_weight = count - index
        ranking = rankings[member]
        options = [(workshop, rank) for rank, workshop in enumerate(ranking, start=1)]
        if accept_any[member]:
            options += [(workshop, unranked) for workshop in workshops if workshop not in ranking]
        for workshop, rank in options:
            tails.append(index + 1)
            heads.append(node[workshop])
            capacity.append(1)
            costs.append(weight[member] * rank * rank * scale + lottery_weight * rank * rank)
    for workshop in workshops:
        tails.append(node[workshop])
        heads.append(sink)
        capacity.append(capacities[workshop])
        costs.append(0)

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacity, costs)
    flow.set_node_supply(source, count)
    flow.set_node_supply(sink, -count)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:  # cannot happen on this graph; never save half a draw
        raise RuntimeError(f"The min-cost flow was not solved: status {status}.")
    by_node = {index: workshop for workshop, index in node.items()}
    placed = {}
    for arc in range(flow.num_arcs()):
        tail = flow.tail(arc)
        if 1 <= tail <= count and flow.flow(arc):
            placed[members[tail - 1]] = by_node[flow.head(arc)]
    return placed


def block_cost(draw_result: Draw, block: Block, capacities: Mapping[Workshop, int]) -> int:
    """The real cost (without the lottery) of ``draw_result`` in ``block``: Σ weight × rank²."""
    unranked = len(capacities) + 1
    return sum(
        draw_result.weights[member][block] * (ranks[block] or unranked) ** 2
        for member, ranks in draw_result.ranks.items()
    )
