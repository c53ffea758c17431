from django.conf import settings


def site(request):
    """The site's name and public address, for the layout and share cards."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
