"""Which language a supporter's page is in: English at /…, Welsh (Cymraeg) at /cy/…, from the address alone.

The address carries the choice, so a page can be linked, shared and cached as it is, and nothing is remembered
about the visitor: no cookie, no session. The browser's Accept-Language is read in one place only, a first visit
to the front page (`prefers_welsh`). Staff pages, the badge and the JSON API have no Welsh address.
"""

from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

ENGLISH = "en-gb"
WELSH = "cy"
WELSH_PREFIX = "/cy/"


class Language(NamedTuple):
    code: str  # Django's: "en-gb", "cy"
    tag: str  # BCP 47, for lang, hreflang and Content-Language: "en-GB", "cy"
    name: str  # in its own language, as a link to it is written
    og_locale: str  # Open Graph's: "en_GB", "cy_GB"


LANGUAGES = {
    ENGLISH: Language(ENGLISH, "en-GB", "English", "en_GB"),
    WELSH: Language(WELSH, "cy", "Cymraeg", "cy_GB"),
}


def from_path(path: str) -> str:
    return WELSH if path.startswith(WELSH_PREFIX) or path == WELSH_PREFIX[:-1] else ENGLISH


class LanguageFromAddress:
    """Activate the language the address names for the whole request, error pages included.

    Django's LocaleMiddleware would also read a cookie and Accept-Language, and add `Vary: Accept-Language` to
    every English page: this one does neither, and costs a string comparison on signing's hot path.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = from_path(request.path_info)
        request.LANGUAGE_CODE = language
        if language == ENGLISH:
            # The site's language is what every thread has unless something activates another (only this, for a
            # Welsh request, and translation.override(), which restores it): nothing to do, no cost.
            response = self.get_response(request)
        else:
            translation.activate(language)
            try:
                response = self.get_response(request)
            finally:
                translation.deactivate()
        response.headers.setdefault("Content-Language", LANGUAGES[language].tag)
        return response


def other_path(path: str) -> str:
    """The same page in the other language: /cy/c/x/ for /c/x/, and back."""
    if from_path(path) == WELSH:
        return path[len(WELSH_PREFIX) - 1 :] or "/"
    return WELSH_PREFIX[:-1] + path


def english_path(path: str) -> str:
    return other_path(path) if from_path(path) == WELSH else path


def welsh_path(path: str) -> str:
    return path if from_path(path) == WELSH else other_path(path)


# The pages a supporter sees, each in both languages (petition/urls.py); the campaign page is kept rendered by
# its address, so its link to the other language carries no query (a share link's `?s=` stays behind).
SUPPORTER_PAGES = {
    "front_page",
    "campaign",
    "sign",
    "check_email",
    "resend",
    "confirm",
    "thanks",
    "withdraw",
    "privacy",
    "campaign_privacy",
    "update",
    "unsubscribe",
}
KEPT_WITHOUT_QUERY = {"front_page", "campaign"}


def page_languages(request: HttpRequest) -> dict[str, object]:
    """Template context: the page's language, and on a supporter's page the link to it in the other language
    and the addresses of both (for hreflang)."""
    language = LANGUAGES.get(translation.get_language(), LANGUAGES[ENGLISH])
    context: dict[str, object] = {"page_language": language}
    match = request.resolver_match
    if match is None or match.namespace != "petition" or match.url_name not in SUPPORTER_PAGES:
        return context
    other = LANGUAGES[WELSH if language.code == ENGLISH else ENGLISH]
    path = request.path
    query = request.META.get("QUERY_STRING", "")
    url = other_path(path)
    if query and match.url_name not in KEPT_WITHOUT_QUERY:
        url += "?" + query
    context |= {
        "other_language": other,
        "other_language_url": url,
        "alternates": [
            (LANGUAGES[ENGLISH].tag, settings.SITE_URL + english_path(path)),
            (LANGUAGES[WELSH].tag, settings.SITE_URL + welsh_path(path)),
        ],
        "english_url": settings.SITE_URL + english_path(path),
    }
    return context


def prefers_welsh(request: HttpRequest) -> bool:
    """On a first visit to the front page, whether the browser asks for Welsh before English.

    A visit from one of this site's own pages (its Referer, which the site's referrer policy sends to itself)
    is not a first visit: someone who pressed "English" on a Welsh page stays in English.
    """
    referer = request.headers.get("Referer", "")
    if referer and urlsplit(referer).netloc in {request.get_host(), urlsplit(settings.SITE_URL).netloc}:
        return False
    return _welsh_before_english(request.headers.get("Accept-Language", ""))


def _welsh_before_english(header: str) -> bool:
    """Whether Accept-Language ranks Welsh above English ("cy,en;q=0.8" yes; "en-GB,cy;q=0.5" no)."""
    best = {WELSH: 0.0, "en": 0.0}
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in best:
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        # Equal weights go to whichever was listed first.
        best[primary] = max(best[primary], quality - position * 1e-6)
    return best[WELSH] > 0 and best[WELSH] > best["en"]
