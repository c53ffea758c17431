"""Sharing a campaign: the links to share it by, each carrying its channel (`?s=whatsapp`), and reading that back.

The channel is taken only from a known list (Signature.Source), so no arbitrary text reaches a page, the
sign form or the database. Nothing here sets a cookie or loads anything from another site: the share
buttons are plain links, which a small script of our own (static/js/share.js) improves where it can.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.utils.translation import gettext

from campaign.models import Campaign

from .models import Source

# Link-preview fetchers and crawlers open every shared link once it is posted: they are not visitors.
NOT_A_VISITOR = re.compile(
    r"bot|crawl|spider|preview|facebookexternalhit|facebookcatalog|whatsapp|bluesky|cardyb|slack|discord|telegram",
    re.IGNORECASE,
)


# The channels a link or a form may name. Made once: Source.values builds a new list at each reading, and this
# is read on every signature.
NAMED_SOURCES = frozenset(Source.values) - {Source.EMBED}


def known_source(value: object) -> str:
    """The channel named by `?s=` or the sign form's hidden field if it is one we know, else "".

    The embedded sign page's channel is never taken from a link or a form: only that page gives it.
    """
    return value if isinstance(value, str) and value in NAMED_SOURCES else ""


def is_visitor(user_agent: str, purpose: str = "") -> bool:
    """Whether a request is a person opening the page, rather than a link preview, a crawler or a prefetch."""
    return not NOT_A_VISITOR.search(user_agent) and "prefetch" not in purpose.lower()


def campaign_url(campaign: Campaign, source: str) -> str:
    """The campaign's public address, marked with the channel it is shared through."""
    return f"{settings.SITE_URL}{campaign.get_absolute_url()}?s={source}"


@dataclass(frozen=True)
class ShareLink:
    source: str
    label: str  # what the button says: "Share on WhatsApp"
    href: str


def share_links(campaign: Campaign) -> list[ShareLink]:
    """The share buttons, WhatsApp first (the most used on phones in the UK), each with its own channel."""
    text = campaign.share_text

    def url(source: Source) -> str:
        return campaign_url(campaign, source.value)

    def query(**params: str) -> str:
        return urlencode(params, quote_via=quote)

    return [
        ShareLink(
            Source.WHATSAPP,
            gettext("Share on WhatsApp"),
            f"https://wa.me/?{query(text=f'{text} {url(Source.WHATSAPP)}')}",
        ),
        ShareLink(
            Source.EMAIL,
            gettext("Share by email"),
            f"mailto:?{query(subject=campaign.title, body=f'{text} {url(Source.EMAIL)}')}",
        ),
        ShareLink(
            Source.FACEBOOK,
            gettext("Share on Facebook"),
            f"https://www.facebook.com/sharer/sharer.php?{query(u=url(Source.FACEBOOK))}",
        ),
        ShareLink(
            Source.X,
            gettext("Share on X (Twitter)"),
            f"https://x.com/intent/post?{query(text=text, url=url(Source.X))}",
        ),
        ShareLink(
            Source.BLUESKY,
            gettext("Share on Bluesky"),
            f"https://bsky.app/intent/compose?{query(text=f'{text} {url(Source.BLUESKY)}')}",
        ),
    ]


def share_context(campaign: Campaign) -> dict[str, object]:
    """What the share partial (petition/_share.html) needs."""
    return {
        "share_links": share_links(campaign),
        "copy_url": campaign_url(campaign, Source.LINK),
        "native_share_url": campaign_url(campaign, Source.SHARE),
    }
