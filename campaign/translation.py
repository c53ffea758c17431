"""The campaign's texts in English and Welsh (django-modeltranslation): each field below gets a `_en_gb` and a `_cy`
column, and reading the field gives the page's language, the Welsh falling back to the English while it is empty.

Names of people, dates, numbers and the minister's response (quoted as written) stay as they are; the organiser's
name, address and data controller have their Welsh too.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Ask, Campaign, Fact, Organiser, Source, Story

CAMPAIGN_FIELDS = ("title", "summary", "recipient_role", "letter", "letter_sign_off", "share_text")
ASK_FIELDS = ("title", "explanation")
FACT_FIELDS = ("counts", "area", "period", "context")
SOURCE_FIELDS = ("note",)
STORY_FIELDS = ("title", "body")
ORGANISER_FIELDS = ("name", "postal_address", "controller_name")


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = CAMPAIGN_FIELDS


@register(Ask)
class AskTranslation(TranslationOptions):
    fields = ASK_FIELDS


@register(Fact)
class FactTranslation(TranslationOptions):
    fields = FACT_FIELDS


@register(Source)
class SourceTranslation(TranslationOptions):
    fields = SOURCE_FIELDS


@register(Story)
class StoryTranslation(TranslationOptions):
    fields = STORY_FIELDS


@register(Organiser)
class OrganiserTranslation(TranslationOptions):
    """The organisation's name as it is known in Welsh, its address written in Welsh ("Caerdydd"), and the data
    controller's name; its charity number, email address and logo are the same in both."""

    fields = ORGANISER_FIELDS
    # The name is unique: an organisation without a Welsh name stores none (NULL), not one more empty name.
    empty_values = {"name": None}


def missing_welsh(campaign: Campaign) -> list[str]:
    """The campaign's texts that have English but no Welsh yet, named as the admin labels them ("Letter",
    "Ask 2: explanation", "Organiser: postal address"): shown in English to Welsh readers until they are written."""
    missing = [_label(Campaign, name) for name in CAMPAIGN_FIELDS if _lacks_welsh(campaign, name)]
    if campaign.organiser is not None:
        missing += [
            f"Organiser: {_label(Organiser, name).lower()}"
            for name in ORGANISER_FIELDS
            if _lacks_welsh(campaign.organiser, name)
        ]
    for kind, rows, names in (
        ("Ask", campaign.asks.all(), ASK_FIELDS),
        ("Fact", campaign.facts.select_related("source"), FACT_FIELDS),
        ("Story", campaign.stories.all(), STORY_FIELDS),
    ):
        for number, row in enumerate(rows, start=1):
            missing += [
                f"{kind} {number}: {_label(type(row), name).lower()}" for name in names if _lacks_welsh(row, name)
            ]
            source = getattr(row, "source", None)
            if source is not None and _lacks_welsh(source, "note"):
                missing.append(f"{kind} {number}: source note")
    return list(dict.fromkeys(missing))


def _lacks_welsh(row: object, name: str) -> bool:
    return bool(getattr(row, f"{name}_en_gb")) and not getattr(row, f"{name}_cy")


def _label(model: type, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).capitalize()  # type: ignore[attr-defined]
