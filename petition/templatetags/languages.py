"""`{% shown_in obj "field" %}`: marks a campaign text that a Welsh page shows in English (its Welsh not written
yet, or a name that has none, such as a source's title), so that screen readers read it as English (WCAG 3.1.2)."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from petition.languages import ENGLISH, LANGUAGES, WELSH

register = template.Library()

IN_ENGLISH = mark_safe(f' lang="{LANGUAGES[ENGLISH].tag}"')  # noqa: S308 (a constant)


@register.simple_tag
def shown_in(row: object, field: str) -> SafeString:
    """` lang="en-GB"` on a Welsh page where the text has no Welsh; nothing otherwise."""
    if get_language() != WELSH or getattr(row, f"{field}_cy", None):
        return mark_safe("")
    return IN_ENGLISH
