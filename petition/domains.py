"""Email domains as a person sees them: who owns one, whether it can receive our mail, and whether it is a slip.

One organisation's mail arrives from many subdomains, so limits and counts group by the registrable domain
(the Public Suffix List says where the public part ends). Some domains can never receive mail, or give out
inboxes that vanish within the hour; the form says so kindly instead of sending a confirmation nobody reads.
And a mistyped large provider is a lost signature, so the form asks about it. Everything here is pure and
quick, as it runs on every signature: both lists ship with their packages and are loaded once per process.
"""

import functools

from disposable_email_domains import blocklist as DISPOSABLE
from django.conf import settings
from django.utils.encoding import punycode
from django.utils.translation import gettext, gettext_noop
from publicsuffixlist import PublicSuffixList

# Loaded at import (0.1 to 0.4 s), so that no visitor waits for it; every lookup after is a few set probes.
PUBLIC_SUFFIXES = PublicSuffixList()

# Names that can never receive mail (RFC 6761, 6762, 7686, 9476), by their last label. Not .example and
# example.org/com/net: they are ordinary domains to this code, and the tests use them as such.
SPECIAL_USE = {
    "invalid": gettext_noop("names ending in .invalid are set aside for addresses that must never work"),
    "localhost": gettext_noop("localhost names point to the computer you are using, not to a mailbox we can reach"),
    "test": gettext_noop("names ending in .test are set aside for testing, and nobody receives email there"),
    "local": gettext_noop("names ending in .local work only inside a home or office network"),
    "onion": gettext_noop("names ending in .onion are Tor services, which ordinary email cannot reach"),
    "alt": gettext_noop("names ending in .alt are outside the internet’s naming system, so email cannot reach them"),
}


@functools.lru_cache(maxsize=4096)
def registrable(domain: str) -> str:
    """The domain its owner registered (eTLD+1): example.co.uk for mail.example.co.uk.

    Takes a lower-case ASCII (punycode) domain. One that is itself a public suffix, or that the list
    cannot read (an address literal), is its own registrable domain. Cached: the same few thousand domains
    come again and again, and each signature asks twice (for its limits and for its row).
    """
    if domain.startswith("["):
        return domain
    return PUBLIC_SUFFIXES.privatesuffix(domain) or domain


def email_domain(typed: str) -> str | None:
    """The registrable domain a moderator means by what they typed (a domain, a subdomain, or an address).

    None if what they typed could not be a domain anyone signed with.
    """
    domain = typed.strip().rpartition("@")[2].lower()
    try:
        domain = punycode(domain)
    except UnicodeError:
        return None
    return registrable(domain) if domain and domain.isprintable() else None


def refusal(domain: str) -> str | None:
    """Why an address at this domain may not sign, in words for the form; None if it may."""
    if domain.startswith("["):
        return gettext(
            "We cannot send to a network address in square brackets. Please use an address with a name "
            "after the @, like name@example.com"
        )
    if reason := SPECIAL_USE.get(domain.rpartition(".")[2]):
        return gettext(
            "We cannot send email to {domain}: {reason}. Please use the address where you read your email"
        ).format(domain=domain, reason=gettext(reason))
    if "." not in domain:
        return gettext(
            "“{domain}” is not a whole email domain: the part after the @ has a dot in it, like example.com. "
            "Please check your email address"
        ).format(domain=domain)
    for disposable in (registrable(domain), domain):
        if disposable in DISPOSABLE:
            return gettext(
                "We cannot accept addresses at {domain}, which gives out short-lived inboxes: please use "
                "an address you will still have when we write about the letter’s delivery"
            ).format(domain=disposable)
    return None


def suggestion(address: str) -> str | None:
    """The address with a mistyped large provider corrected (asha@gmial.com to asha@gmail.com), else None.

    A domain counts as mistyped when one large provider is nearer to it than any other and near enough: two
    slips at most, no more than one of them in the ending, and in the name none for names of three letters
    (gm.com and aon.com are real firms), one up to seven letters, two beyond. A provider's name under another
    real ending (yahoo.ca, hotmail.co.jp, protonmail.ch) is two slips from its own ending, so it is left alone.
    """
    local, _, domain = address.rpartition("@")
    provider = _meant(domain, frozenset(settings.RATE_LIMIT_EXEMPT_DOMAINS)) if local else None
    return f"{local}@{provider}" if provider else None


@functools.lru_cache(maxsize=4096)
def _meant(domain: str, providers: frozenset[str]) -> str | None:
    """The large provider a domain is a slip for, if exactly one is near enough (see `suggestion`).

    Cached: the same few thousand domains come again and again, and comparing one with every provider costs
    tens of microseconds on the signing path.
    """
    if domain in providers:
        return None
    name, _, ending = domain.partition(".")
    nearest: list[tuple[int, str]] = []
    for provider in providers:
        provider_name, _, provider_ending = provider.partition(".")
        allowed = _slips_allowed(provider_name)
        if abs(len(name) - len(provider_name)) > allowed or abs(len(ending) - len(provider_ending)) > 1:
            continue  # too far apart in length alone: most providers stop here, before any counting
        slips_in_ending = _distance(ending, provider_ending)
        if slips_in_ending > 1:
            continue
        slips_in_name = _distance(name, provider_name)
        if slips_in_name <= allowed and slips_in_name + slips_in_ending <= 2:
            nearest.append((slips_in_name + slips_in_ending, provider))
    nearest.sort()
    if not nearest or (len(nearest) > 1 and nearest[0][0] == nearest[1][0]):
        # Two providers equally near (email.com: gmail.com or mail.com?): we cannot tell which was meant.
        return None
    return nearest[0][1]


def _slips_allowed(provider_name: str) -> int:
    return 0 if len(provider_name) <= 3 else 1 if len(provider_name) <= 7 else 2


def _distance(a: str, b: str) -> int:
    """Edits between two strings, counting swapped neighbours as one (Damerau–Levenshtein, optimal alignment)."""
    previous: list[int] = []
    row = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        before, previous, row = previous, row, [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (char != other))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[-1]
