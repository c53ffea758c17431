from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static

from . import PRIVACY_NOTICE_VERSION


def privacy(request: HttpRequest) -> HttpResponse:
    context = {"version": PRIVACY_NOTICE_VERSION, "retention_days": settings.RETENTION_DAYS}
    return render(request, "campaign/privacy.html", context)


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page says: point them at the hashed icon."""
    return redirect(static("favicon.svg"), permanent=True)
