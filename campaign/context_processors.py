from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext


def site(request: HttpRequest) -> dict[str, str]:
    """The site's name and public address, for the layout and share cards."""
    # The shipped name has a Welsh translation (its default in settings is marked for it); a name set in the
    # environment is shown as it is written.
    return {"site_name": gettext(settings.SITE_NAME), "site_url": settings.SITE_URL}
