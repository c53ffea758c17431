"""Load a campaign's content (its organiser, letter, asks, facts, sources, stories) from a TOML file.

Loading is idempotent and never overwrites what staff have edited in the admin:
a campaign that already exists is left as it is unless `reset` is asked for.

Each text is in English under its own name (`title`) and in Welsh beside it (`title_cy`); see campaign/translation.py.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation

from .models import Ask, Campaign, Fact, Organiser, Source, Story

CONTENT_DIR = Path(__file__).resolve().parent / "content"


@dataclass(frozen=True)
class Loaded:
    campaign: Campaign
    action: str  # "created", "reset", "organiser added" or "unchanged"


def content_files() -> list[Path]:
    return sorted(CONTENT_DIR.glob("*.toml"))


def load_campaign(path: str | Path, *, reset: bool = False) -> Loaded:
    """Create the campaign described in `path` if it is missing; with `reset`, replace it."""
    # Unsuffixed names are the English texts, whatever language the caller has active.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE), transaction.atomic():
        return _load(path, reset=reset)


def _load(path: str | Path, *, reset: bool) -> Loaded:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    fields = _stripped(data["campaign"])
    slug = fields.pop("slug")

    organiser, organiser_created = _organiser(data.get("organiser"), reset=reset)
    fields["organiser"] = organiser

    campaign, created = Campaign.objects.get_or_create(slug=slug, defaults=fields)
    if not created and not reset:
        # Campaigns loaded before organisers existed get theirs once, when it is first made; after that a
        # campaign that staff set to name no organiser stays so.
        if organiser_created and campaign.organiser_id is None:
            campaign.organiser = organiser
            campaign.save(update_fields=["organiser", "updated_at"])
            return Loaded(campaign, "organiser added")
        return Loaded(campaign, "unchanged")

    sources: dict[str, Source] = {}
    for entry in data.get("sources", []):
        entry = dict(entry)
        key = entry.pop("key")
        source, _ = Source.objects.get_or_create(name=entry["name"], defaults=entry)
        if reset:
            Source.objects.filter(pk=source.pk).update(**entry)
        sources[key] = source

    if not created:
        Campaign.objects.filter(pk=campaign.pk).update(**fields)
        campaign.refresh_from_db()
        for related in (campaign.asks, campaign.facts, campaign.stories):
            related.all().delete()

    Ask.objects.bulk_create(
        Ask(campaign=campaign, position=position, **_stripped(ask))
        for position, ask in enumerate(data.get("asks", []), start=1)
    )
    Fact.objects.bulk_create(
        Fact(campaign=campaign, position=position, **_stripped(fact, source=sources[fact["source"]]))
        for position, fact in enumerate(data.get("facts", []), start=1)
    )
    Story.objects.bulk_create(
        Story(campaign=campaign, position=position, **_stripped(story))
        for position, story in enumerate(data.get("stories", []), start=1)
    )
    return Loaded(campaign, "created" if created else "reset")


def _organiser(entry: dict[str, Any] | None, *, reset: bool) -> tuple[Organiser | None, bool]:
    """The organiser the file names, made if missing (with `reset`, given the file's details); whether it was made."""
    if entry is None:
        return None, False
    details = _stripped(entry)
    name = details.pop("name")
    organiser, created = Organiser.objects.get_or_create(name=name, defaults=details)
    if reset and details:
        Organiser.objects.filter(pk=organiser.pk).update(**details)
    return organiser, created


# TOML tables: strings, numbers, dates and lists, as the file has them.
def _stripped(entry: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    values = {key: value.strip() if isinstance(value, str) else value for key, value in entry.items()}
    return values | overrides
