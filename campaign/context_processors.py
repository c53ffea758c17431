from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """The site's name and public address, for the layout and share cards."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
