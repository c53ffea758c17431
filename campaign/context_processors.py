from functools import cache
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.utils.translation import gettext


def site(request: HttpRequest) -> dict[str, str]:
    """The site's name, public address and icon, for the layout and share cards."""
    # The shipped name has a Welsh translation (its default in settings is marked for it); a name set in the
    # environment is shown as it is written.
    return {"site_name": gettext(settings.SITE_NAME), "site_url": settings.SITE_URL, "site_icon": site_icon()}


@cache
def site_icon() -> str:
    """The site's icon (static/favicon.svg) as a data: URL, written into each page.

    About 200 bytes compressed in the page, where fetching it cost a request and 600 bytes with its headers:
    the campaign page and all it needs must stay within 12 KB on the wire.
    """
    found = finders.find("favicon.svg")
    svg = Path(str(found)).read_text().strip().replace('"', "'")
    return "data:image/svg+xml," + quote(svg, safe=" =/:;,")
