"""A campaign's life in a few dated lines, for its page and the JSON API: opened, milestones passed, delivered,
answered, and each update sent to supporters.

A milestone's date is when the signature that reached it was confirmed, among the signatures that count now: read
from the signatures themselves rather than recorded as it happens, so it needs nothing running and stays true
after an invalidation (10,000 real signers were reached when the 10,000th real one confirmed). Each milestone is
one index step into the campaign's confirmed signatures; the whole timeline is cached for a minute, and
afresh whenever staff edit the campaign.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.cache import caches
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext

from campaign.models import Campaign

from . import counting, updates
from .models import Signature

CACHE_SECONDS = 60
FIRST_MILESTONE = 1_000


@dataclass(frozen=True)
class Event:
    kind: str  # opened, milestone, delivered, responded, update
    on: date
    text: str
    url: str = ""  # an update's own page


def events(campaign: Campaign) -> list[Event]:
    """The campaign's timeline, oldest first."""
    # Written in the page's language (Welsh at /cy/), with its addresses.
    key = f"petition:timeline:{campaign.pk}:{campaign.updated_at.timestamp()}:{get_language()}"
    cached: list[Event] | None = caches["default"].get(key)
    if cached is None:
        cached = _build(campaign)
        caches["default"].set(key, cached, CACHE_SECONDS)
    return cached


def milestones(count: int, goal: int) -> list[int]:
    """The round figures a count of `count` has passed (1,000, 2,000, 5,000, 10,000 …), and the goal once reached."""
    passed = []
    figure = FIRST_MILESTONE
    while figure <= count:
        passed.append(figure)
        figure = counting.next_round(figure)
    if goal <= count and goal not in passed:
        passed.append(goal)
    return sorted(passed)


def _build(campaign: Campaign) -> list[Event]:
    found = []
    if campaign.opens_at:
        found.append(Event("opened", _day(campaign.opens_at), gettext("The letter opened for signatures")))
    count = counting.totals(campaign).count
    confirmed = Signature.objects.for_campaign(campaign).confirmed().order_by("confirmed_at")
    for figure in milestones(count, campaign.signature_goal):
        reached = next(iter(confirmed.values_list("confirmed_at", flat=True)[figure - 1 : figure]), None)
        if reached is None:  # fewer count now than the shards say, for the moment: leave it for the next build
            continue
        text = (
            gettext("{figure} signatures (our goal)")
            if figure == campaign.signature_goal
            else gettext("{figure} signatures")
        )
        found.append(Event("milestone", _day(reached), text.format(figure=number_format(figure, force_grouping=True))))
    if campaign.status == Campaign.Status.DELIVERED and campaign.delivered_at:
        if campaign.delivered_count is None:
            delivered = gettext("Delivered to {name}").format(name=campaign.recipient_name)
        else:
            delivered = gettext("Delivered to {name} with {count} signatures").format(
                name=campaign.recipient_name, count=number_format(campaign.delivered_count, force_grouping=True)
            )
        found.append(Event("delivered", _day(campaign.delivered_at), delivered))
    for update in updates.published_updates(campaign):
        found.append(Event("update", _day(update.sent_at), update.title, update.url))
    if campaign.responded_on:
        found.append(
            Event(
                "responded",
                campaign.responded_on,
                gettext("{name} responded").format(name=campaign.response_by or campaign.recipient_name),
            )
        )
    return sorted(found, key=lambda event: event.on)


def _day(moment: datetime) -> date:
    return timezone.localdate(moment)
