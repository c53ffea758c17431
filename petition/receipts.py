"""What the pages after signing and confirming show to the browser that just did it, and to nobody else.

After signing, "check your email" shows the inbox the email went to, so that a mistyped address is seen
at once, and offers to sign again with the right one; after confirming, the thank-you page says the
signature is confirmed. Each page learns this from a short-lived signed value in its URL (a receipt),
tied to the browser's CSRF cookie, so that a copied or shared URL shows a stranger nothing. No cookie is
added, and no address is put in a URL: a receipt names the outbox row the signing wrote (always a new row,
so its number says nothing about the address), and the page reads the inbox from its signature.

Nobody may learn whether an address had signed: signing with one that had gives the same receipt, the
same page and the same inbox shown (a signature's mailbox is the typed address's). Signing again with the
right address removes the mistyped signature only if it is still pending and this browser made it (the
receipt's proof matches the secret token it was made with), and that is decided by the task worker, so
that the request does the same work either way.
"""

from functools import lru_cache, partial
from typing import NamedTuple

from django.core import signing
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode
from django.utils.translation import get_language

from campaign.models import Campaign

from . import standing
from .models import OutgoingEmail, Signature

# Long enough to wait for the email and come back to the tab; short enough that an old URL shows nothing.
MAX_AGE = 60 * 60
SIGNED_SALT = "petition.receipt.signed"
CONFIRMED_SALT = "petition.receipt.confirmed"
PROOF_SALT = "petition.receipt.proof"


class Receipt(NamedTuple):
    """What signing wrote: its outbox row, and proof of the token of the signature it made (if it made one)."""

    email_id: int | None
    proof: str
    source: str = ""


def proof_of(token: str) -> str:
    """A digest of a signature's secret token: proves a browser saw it made, without giving it the token."""
    return salted_hmac(PROOF_SALT, token, algorithm="sha256").hexdigest()[:24]


def _visitor(secret: str) -> str:
    return salted_hmac(SIGNED_SALT, secret, algorithm="sha256").hexdigest()[:16]


def seal(receipt: Receipt, campaign: Campaign, visitor: str) -> str:
    """The receipt as a value for a URL, for the browser whose CSRF secret is `visitor`."""
    value = {"c": campaign.pk, "e": receipt.email_id, "p": receipt.proof, "s": receipt.source, "v": _visitor(visitor)}
    return signing.dumps(value, salt=SIGNED_SALT)


def open_receipt(value: str | None, campaign: Campaign, visitor: str) -> Receipt | None:
    """The receipt in a URL, if it is ours, recent, for this campaign and for this browser; else None."""
    if not value:
        return None  # nothing to open: most signatures replace none
    try:
        data = signing.loads(value, salt=SIGNED_SALT, max_age=MAX_AGE)
        if data["c"] != campaign.pk or not constant_time_compare(data["v"], _visitor(visitor)):
            return None
        return Receipt(email_id=data["e"], proof=data["p"], source=data["s"])
    except (signing.BadSignature, KeyError, TypeError):
        return None


def check_email_url(campaign: Campaign, receipt: Receipt, visitor: str, view: str = "petition:check_email") -> str:
    """The check-your-email page (`view`: the site's own, or the one in partners' frames) with the sealed receipt."""
    return f"{_path(view, campaign.slug, get_language())}?{urlencode({'r': seal(receipt, campaign, visitor)})}"


@lru_cache(maxsize=256)
def _path(view: str, slug: str, language: str | None) -> str:
    """A campaign page's path in a language (/cy/… for Welsh), reversed once per process: signing's and
    confirming's hot path."""
    return reverse(view, args=[slug])


def sign_again_url(campaign: Campaign, value: str, receipt: Receipt, view: str = "petition:sign") -> str:
    """The sign form (`view`), to sign again with the right address; it carries the receipt, and the channel."""
    path = reverse(view, args=[campaign.slug])
    return f"{path}?{urlencode({'s': receipt.source, 'replacing': value} if receipt.source else {'replacing': value})}"


def inbox(receipt: Receipt) -> str | None:
    """The inbox the email went to, as petition.mailboxes spells it: the same for an address that had signed."""
    if receipt.email_id is None:
        return None
    mailbox = (
        OutgoingEmail.objects.filter(pk=receipt.email_id, signature__erased_at__isnull=True)
        .values_list("signature__mailbox", flat=True)
        .first()
    )
    return mailbox or None


def confirmed_url(campaign: Campaign, visitor: str) -> str:
    """The thank-you page, telling this browser (only) that it has just confirmed."""
    value = signing.dumps({"c": campaign.pk, "v": _visitor(visitor)}, salt=CONFIRMED_SALT)
    return f"{_path('petition:thanks', campaign.slug, get_language())}?{urlencode({'r': value})}"


def has_confirmed(value: str | None, campaign: Campaign, visitor: str) -> bool:
    """Whether the thank-you page's receipt says this browser has just confirmed a signature on this campaign."""
    try:
        data = signing.loads(value or "", salt=CONFIRMED_SALT, max_age=MAX_AGE)
        return bool(data["c"] == campaign.pk and constant_time_compare(data["v"], _visitor(visitor)))
    except (signing.BadSignature, KeyError, TypeError):
        return False


def replace(mistyped: Receipt, replacement: Receipt) -> None:
    """After signing again with the right address, have the worker remove the mistyped signature if it may."""
    if mistyped.email_id is not None and replacement.email_id is not None:
        transaction.on_commit(
            partial(forget_mistyped.enqueue, mistyped.email_id, mistyped.proof, replacement.email_id), robust=True
        )


@task
def forget_mistyped(email_id: int, proof: str, replaced_by: int) -> bool:
    """Withdraw the signature a mistyped address made, once its signer has signed again with another inbox.

    Only a pending signature, made by the browser that holds the proof, and not the one signed again (the
    same inbox typed twice). Returns whether it was withdrawn.
    """
    mistyped = OutgoingEmail.objects.filter(pk=email_id).values_list("signature_id", flat=True).first()
    replacement = OutgoingEmail.objects.filter(pk=replaced_by).values_list("signature_id", flat=True).first()
    if mistyped is None or mistyped == replacement:
        return False
    with transaction.atomic():
        signature = Signature.objects.select_for_update().filter(pk=mistyped, status=Signature.Status.PENDING).first()
        if signature is None or signature.token is None or not constant_time_compare(proof, proof_of(signature.token)):
            return False
        return standing.withdraw(signature)
