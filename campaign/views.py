from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.shortcuts import redirect
from django.templatetags.static import static


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page says: point them at the hashed icon."""
    return redirect(static("favicon.svg"), permanent=True)
