"""The small sign page partner sites may show in a frame (`/c/<slug>/embed/`): who may frame it, and how its form is
protected without cookies.

Framing: only the embedded pages (the sign page, and what it leads to inside the frame: check your email,
the form again with its errors, too many signatures, not open) name the partner origins in the
EMBED_ORIGINS setting in `Content-Security-Policy: frame-ancestors`, and send no `X-Frame-Options`; every
other page keeps `frame-ancestors 'none'` and `X-Frame-Options: DENY`.

The form, without cookies. Inside a frame on another site, browsers do not send our cookies (the CSRF
cookie is SameSite=Lax, and many browsers block third-party cookies outright), so Django's CSRF check,
which compares a cookie with the form, fails for every framed signer. What CSRF protection is for here is
stopping another site from making its visitors' browsers sign (a flood from thousands of real addresses,
which the limits per address would not see). Two checks take its place on this one form:

- the `Origin` header must be this site's own (SITE_URL's origin). A browser always sends it with a
  POST and a page cannot set it: a form posted from the frame (our page) carries ours; one posted by a
  script or an auto-submitting form on any other site carries that site's, or `null` from a sandbox,
  and is refused;
- the form's signed clock (petition.forms.form_clock, made with django.core.signing) is tied to the
  signer's address (its keyed hash, as the limits count it) rather than to the CSRF cookie: valid for
  SIGN_FORM_MAX_AGE, refused if sent sooner than SIGN_FORM_MIN_SECONDS, refused if altered, and useless
  from another address, so a script that does not run a browser (and can write any `Origin`) must still
  load the form from every address it signs from, and wait as a person would, before the limits count it.
  A person whose address changes between loading the form and sending it (a phone moving from Wi-Fi to
  its mobile network) is shown the form again, everything typed kept, and presses the button once more.

Everything else signing checks is unchanged, because the embedded form goes through the same form and the
same view code (the honeypot, validation, the limits, holding, never telling whether an address signed).
The page after signing shows the inbox to the address that signed (its receipt is tied to the same hash).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override

from campaign.models import Campaign

# The visitor the embedded form's clock and receipts are tied to: a prefix no CSRF secret (letters and digits) has.
VISITOR_PREFIX = "embed:"

View = Callable[..., HttpResponse]


def frame_ancestors() -> list[str]:
    """Who may frame the embedded pages: the site itself and the partner origins in EMBED_ORIGINS."""
    return [CSP.SELF, *settings.EMBED_ORIGINS]


def embeddable(view: View) -> View:
    """Let the partner origins (and the site itself) frame a view's pages: the site's CSP with its own
    frame-ancestors (Django's csp_override), and no X-Frame-Options (xframe_options_exempt), whose DENY or
    SAMEORIGIN cannot name another site."""
    unframed = xframe_options_exempt(view)

    @wraps(view)
    def framed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Read on each request, so that the policy follows the settings (and tests that change them).
        policy: dict[str, Any] = {**settings.SECURE_CSP, "frame-ancestors": frame_ancestors()}
        response: HttpResponse = csp_override(policy)(unframed)(request, *args, **kwargs)
        return response

    return framed


def site_origin() -> str:
    """This site's origin (scheme, host and port), from SITE_URL."""
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}".lower()


def sent_from_our_page(request: HttpRequest) -> bool:
    """Whether a POST came from a page of this site, by its `Origin` header (which a web page cannot forge).

    Strict: a missing `Origin` is refused too. Every browser in use sends it with a form's POST, and a
    partner site that sandboxes the frame without allow-same-origin makes it `null`.
    """
    return request.headers.get("Origin", "").rstrip("/").lower() == site_origin()


def visitor(ip_hash: str) -> str:
    """What the embedded form's clock and receipts are tied to in place of the CSRF cookie: the signer's address,
    as its keyed hash (petition.signing.hash_ip; an IPv6 /64 counts as one)."""
    return VISITOR_PREFIX + ip_hash


def snippet(campaign: Campaign) -> str:
    """The HTML a partner pastes into its page to show the sign page: a frame with a title for screen readers,
    as wide as the partner's column allows up to 480 px, tall enough for the form on a phone."""
    src = settings.SITE_URL + reverse("petition:embed", args=[campaign.slug])
    title = f"Sign the open letter: {campaign.title}"
    return (
        f'<iframe src="{escape(src)}" title="{escape(title)}" width="360" height="1100" '
        'style="width:100%;max-width:480px;border:0" loading="lazy"></iframe>'
    )
