import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from events.models import Workshop, WorkshopBlock

pytestmark = pytest.mark.browser

SLUG = "faglig-faellesskabsdag"


def test_programme_shows_both_blocks_and_all_eight_workshops(live_server, page):
    call_command("load_demo", stdout=io.StringIO())
    block_titles = list(
        WorkshopBlock.objects.filter(event__slug=SLUG).values_list("title", flat=True)
    )
    workshop_titles = list(
        Workshop.objects.filter(block__event__slug=SLUG).values_list("title", flat=True)
    )

    page.goto(f"{live_server.url}/arrangementer/{SLUG}/")

    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert block_titles == ["Workshops, blok 1", "Workshops, blok 2"]
    for block_title in block_titles:
        expect(page.get_by_role("heading", name=block_title, exact=True)).to_be_visible()
    assert len(workshop_titles) == 8
    for workshop_title in workshop_titles:
        expect(page.get_by_role("heading", name=workshop_title, exact=True)).to_be_visible()
