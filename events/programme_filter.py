"""Finding a workshop among many: the filter of the programme page and the registration form.

A member filters by day, block and theme and searches the text (title,
speakers, room, theme, description). Without JavaScript the filter is a GET
form and the server hides what does not match; with JavaScript
(static/js/fagdag.js) the same rules hide it as the member types, and the
address follows, so both give the same page.

Both pages are kept rendered (events/kept_pages.py), so the filter never
renders anything: each item of the kept page has a slot for its ``hidden``
attribute (``hide_slot``), and ``fill`` says which of them get it, from an
index (``FilterIndex``) built with the page.

The rules (the script has the same):

- a workshop shows when it is on the chosen day, in the chosen block, of the
  chosen theme, and has every word of the search in its text;
- a plenary item shows when no block or theme is chosen, and its day and
  text match;
- a block shows when one of its workshops does, a day when one of its items does.
"""

import datetime
from dataclasses import dataclass, field
from html import unescape

from django.utils.html import escape, strip_tags
from django.utils.text import capfirst
from django.utils.translation import ngettext

from .kept_pages import slot
from .templatetags.programme import time_range, weekday_date

HIDDEN = " hidden"
QUERY_MAX_LENGTH = 100


def text_of(html: str) -> str:
    """What the search looks in: the visible text of an item's markup, in lower case,
    with runs of white space made one space (as the script reads ``textContent``)."""
    return " ".join(unescape(strip_tags(html)).lower().split())


@dataclass(frozen=True)
class Entry:
    """One thing the filter shows or hides."""

    kind: str  # "w" workshop, "s" plenary item, "b" block
    pk: int
    day: str  # ISO date
    block: int | None = None
    theme: str = ""
    text: str = ""

    @property
    def name(self) -> str:
        return f"hide:{self.kind}{self.pk}"


def hide_slot(kind: str, pk) -> str:
    """The marker where the ``hidden`` attribute of an item goes."""
    return slot(f"hide:{kind}{pk}")


@dataclass
class FilterIndex:
    """What the filter needs of a kept page: its workshops, plenary items and blocks,
    and the choices its form offers (days, blocks, themes)."""

    workshops: list[Entry] = field(default_factory=list)
    sessions: list[Entry] = field(default_factory=list)
    blocks: list[Entry] = field(default_factory=list)
    days: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)

    def add_block(self, block) -> None:
        self.blocks.append(Entry("b", block.pk, block.day.isoformat()))
        self._add_day(block.day)

    def add_workshop(self, workshop, block, html: str) -> None:
        self.workshops.append(
            Entry(
                "w",
                workshop.pk,
                block.day.isoformat(),
                block=block.pk,
                theme=workshop.theme,
                text=text_of(html),
            )
        )
        if workshop.theme and workshop.theme not in self.themes:
            self.themes.append(workshop.theme)

    def add_session(self, session, html: str) -> None:
        self.sessions.append(Entry("s", session.pk, session.day.isoformat(), text=text_of(html)))
        self._add_day(session.day)

    def _add_day(self, day: datetime.date) -> None:
        if day.isoformat() not in self.days:
            self.days.append(day.isoformat())

    def finish(self) -> None:
        self.days.sort()
        self.themes.sort(key=str.lower)


@dataclass(frozen=True)
class Filter:
    """A member's filter, from the query string; a value the page does not offer is ignored."""

    day: str = ""
    block: int | None = None
    theme: str = ""
    query: str = ""

    @classmethod
    def from_query(cls, query, index: FilterIndex) -> "Filter":
        day = query.get("dag", "")
        theme = query.get("tema", "")
        block = query.get("blok", "")
        block = int(block) if block.isdigit() else None
        return cls(
            day=day if day in index.days else "",
            block=block if any(entry.pk == block for entry in index.blocks) else None,
            theme=theme if theme in index.themes else "",
            query=" ".join(query.get("q", "").split())[:QUERY_MAX_LENGTH],
        )

    @property
    def active(self) -> bool:
        return bool(self.day or self.block or self.theme or self.query)

    def words(self) -> list[str]:
        return self.query.lower().split()

    def shows_workshop(self, entry: Entry, words: list[str]) -> bool:
        return (
            (not self.day or entry.day == self.day)
            and (not self.block or entry.block == self.block)
            and (not self.theme or entry.theme == self.theme)
            and all(word in entry.text for word in words)
        )

    def shows_session(self, entry: Entry, words: list[str]) -> bool:
        return (
            not self.block
            and not self.theme
            and (not self.day or entry.day == self.day)
            and all(word in entry.text for word in words)
        )


def form_slots(index: FilterIndex, blocks) -> dict:
    """The filter form's choices for the template (includes/_programme_filter.html), each
    with the slot of its ``selected``; ``blocks``: the event's blocks."""
    block_labels = {
        block.pk: f"{block.title}, {weekday_date(block.day)} {time_range(block)}"
        for block in blocks
    }
    templates = status_templates()
    return {
        "days": [
            (day, capfirst(weekday_date(datetime.date.fromisoformat(day))), slot(f"f:day:{day}"))
            for day in index.days
        ],
        "blocks": [
            (entry.pk, block_labels[entry.pk], slot(f"f:block:{entry.pk}"))
            for entry in index.blocks
        ],
        "themes": [(theme, slot(f"f:theme:{n}")) for n, theme in enumerate(index.themes)],
        "query": slot("f:q"),
        "status": slot("f:status"),
        "status_one": templates["one"],
        "status_other": templates["other"],
        "no_match": slot("f:none"),
        "reset": slot("f:reset"),
    }


def fill(index: FilterIndex, chosen: Filter, *, keep_blocks: bool = False) -> dict[str, str]:
    """The slots of a kept page for the filter ``chosen``: ``hidden`` where an item does not
    match, ``selected`` on the chosen options, the search text, and the status line.

    ``keep_blocks``: a block is never hidden by the text or theme (the registration form,
    where every block must be answered).
    """
    filled: dict[str, str] = {}
    if chosen.day:
        filled[f"f:day:{chosen.day}"] = " selected"
    if chosen.block:
        filled[f"f:block:{chosen.block}"] = " selected"
    if chosen.theme:
        filled[f"f:theme:{index.themes.index(chosen.theme)}"] = " selected"
    filled["f:q"] = escape(chosen.query)
    total = len(index.workshops)
    if not chosen.active:
        filled["f:reset"] = HIDDEN
        filled["f:none"] = HIDDEN
        filled["f:status"] = status_text(total, total)
        return filled
    words = chosen.words()
    shown_blocks: set[int] = set()
    shown_days: set[str] = set()
    shown = 0
    for entry in index.workshops:
        if chosen.shows_workshop(entry, words):
            shown += 1
            shown_blocks.add(entry.block)
            shown_days.add(entry.day)
        else:
            filled[entry.name] = HIDDEN
    for entry in index.sessions:
        if chosen.shows_session(entry, words):
            shown_days.add(entry.day)
        else:
            filled[entry.name] = HIDDEN
    for entry in index.blocks:
        in_choice = (not chosen.day or entry.day == chosen.day) and (
            not chosen.block or entry.pk == chosen.block
        )
        if entry.pk in shown_blocks or (keep_blocks and in_choice):
            shown_days.add(entry.day)
        else:
            filled[entry.name] = HIDDEN
    for day in index.days:
        if day not in shown_days:
            filled[f"hide:d{day}"] = HIDDEN
    if shown:
        filled["f:none"] = HIDDEN
    filled["f:status"] = status_text(shown, total)
    return filled


def status_text(shown: int, total: int) -> str:
    return ngettext(
        "Showing %(shown)s of %(total)s workshop",
        "Showing %(shown)s of %(total)s workshops",
        total,
    ) % {"shown": shown, "total": total}


def status_templates() -> dict[str, str]:
    """The status line for the script, "{shown}" and "{total}" to be replaced, by the plural
    form of the total: "one" for 1, "other" otherwise (Danish and English)."""
    names = {"shown": "{shown}", "total": "{total}"}
    return {
        "one": ngettext(
            "Showing %(shown)s of %(total)s workshop",
            "Showing %(shown)s of %(total)s workshops",
            1,
        )
        % names,
        "other": ngettext(
            "Showing %(shown)s of %(total)s workshop",
            "Showing %(shown)s of %(total)s workshops",
            2,
        )
        % names,
    }
