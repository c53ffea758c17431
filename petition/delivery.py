"""The delivery pack: what is handed to the minister, as a printable page and a PDF.

The letter, its recipient and asks, the verified count, the count by region,
and the names (first name and surname, with their area) of the signatories
who agreed to be named.

The print page is rendered in the request. The PDF is built by the task
worker (`build`), because WeasyPrint lays out a couple of thousand names a
second at best and its memory grows with the document: the names are laid out
in parts of NAMES_PER_PART, each its own small PDF, and the parts are joined
with pypdf, so memory stays flat however many signatories there are.

WeasyPrint and pypdf are the `pdf` extra: a deployment may leave them (and
WeasyPrint's native Pango) out, and the site runs; the delivery page then
says what to install, and the print page still prints.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.contrib.staticfiles import finders
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from campaign.models import Ask, Campaign

from . import audit, counting, public
from .counting import Totals
from .models import AuditEntry, DeliveryPack, Signature
from .names import Audience, shown_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

logger = logging.getLogger(__name__)

NAMES_PER_PART = 2000

PDF_PACKAGES = ("weasyprint", "pypdf")
PDF_INSTALL = (
    "Building PDFs needs the pdf extra (WeasyPrint and pypdf): `uv sync --locked --extra pdf`, "
    "and WeasyPrint's Pango (Debian: `apt-get install libpango-1.0-0 libpangoft2-1.0-0`)."
)


def pdf_missing() -> str | None:
    """What to install before PDFs can be built here, or None when they can (the print page always works)."""
    if all(importlib.util.find_spec(name) for name in PDF_PACKAGES):
        return None
    return PDF_INSTALL


# A signatory as the pack names them: their name, and their area (or country).
Named = tuple[str, str]


class PackContext(TypedDict):
    campaign: Campaign
    asks: QuerySet[Ask]
    totals: Totals
    regions: list[public.RegionRow]
    named: Iterator[Named]
    front: bool
    generated_at: datetime


def _named_signatures(campaign: Campaign) -> QuerySet[Signature]:
    # Those the recipient may name (petition.names decides, row by row; this only skips the rest unread).
    return Signature.objects.for_campaign(campaign).confirmed().filter(show_name=True)


def _named(campaign: Campaign) -> Iterator[Named]:
    """The confirmed signers who agreed to be named, by name and area, as the recipient receives them."""
    signers = (
        _named_signatures(campaign)
        .order_by("confirmed_at", "pk")
        .values_list("first_name", "last_name", "show_name", "postcode", "country")
    )
    for first, last, show, postcode, country in signers.iterator():
        name = shown_name(Audience.RECIPIENT, first_name=first, last_name=last, show_name=show)
        if name:
            yield name, public.place(postcode, country)


def context(campaign: Campaign) -> PackContext:
    totals = counting.totals(campaign)
    return {
        "campaign": campaign,
        "asks": campaign.asks.all(),
        "totals": totals,
        "regions": public.region_rows(totals),
        "named": _named(campaign),
        "front": True,
        "generated_at": timezone.now(),
    }


def request_pdf(campaign: Campaign, user: User) -> DeliveryPack:
    """Record and audit a request for the PDF, and have the worker build it once this transaction commits."""
    totals = counting.totals(campaign)
    pack = DeliveryPack.objects.create(
        campaign=campaign,
        requested_by=user,
        signatures=totals.count,
        named_total=_named_signatures(campaign).count(),
    )
    audit.record(
        user,
        AuditEntry.Action.EXPORT,
        totals.count,
        campaign=campaign,
        kind="delivery pack",
        format="pdf",
        pack=pack.pk,
        columns=["name", "area"],
        filters={"status": "confirmed"},
    )
    transaction.on_commit(lambda: build_delivery_pack.enqueue(pack.pk))
    return pack


def _render(html: str, first_page: int) -> tuple[bytes, int]:
    # Imported here, in the worker only: WeasyPrint takes half a second to load and needs Pango, which
    # a web server never needs (and a deployment without the pdf extra does not have).
    from weasyprint import CSS, HTML

    page_numbers = CSS(string=f"@page {{ counter-reset: page {first_page} }}")
    document = HTML(string=html).render(stylesheets=[CSS(filename=finders.find("css/print.css")), page_numbers])
    return document.write_pdf(), len(document.pages)


@task
def build_delivery_pack(pack_id: int) -> str:
    """Build a delivery pack's PDF in the task worker."""
    return build(pack_id)


def build(pack_pk: int) -> str:
    """Lay out the pack part by part, keeping progress on the DeliveryPack, and store the joined PDF."""
    pack = DeliveryPack.objects.select_related("campaign").defer("pdf").get(pk=pack_pk)
    try:
        from pypdf import PdfWriter

        base = context(pack.campaign)
        writer = PdfWriter()
        pages = 0
        names = base["named"]
        parts = itertools.batched(names, NAMES_PER_PART)
        part = next(parts, ())
        start = 1
        while True:
            html = render_to_string(
                "petition/staff/delivery_pack.html",
                base | {"named": part, "start": start, "front": start == 1, "for_pdf": True},
            )
            pdf, part_pages = _render(html, pages + 1)
            writer.append(io.BytesIO(pdf))
            pages += part_pages
            start += len(part)
            DeliveryPack.objects.filter(pk=pack.pk).update(named_done=start - 1, pages=pages)
            part = next(parts, ())
            if not part:
                break
        out = io.BytesIO()
        writer.write(out)
    except Exception as error:
        # No signer's data in the log: only what went wrong, not the page it went wrong on.
        logger.error("Delivery pack %s failed: %s", pack.pk, type(error).__name__)
        if isinstance(error, ImportError | OSError):
            logger.error(PDF_INSTALL)
        DeliveryPack.objects.filter(pk=pack.pk).update(status=DeliveryPack.Status.FAILED, finished_at=timezone.now())
        return DeliveryPack.Status.FAILED
    DeliveryPack.objects.filter(pk=pack.pk).update(
        status=DeliveryPack.Status.READY,
        finished_at=timezone.now(),
        named_total=start - 1,
        pdf=out.getvalue(),
    )
    # Packs hold signers' names: keep only the newest few of each campaign.
    stale = DeliveryPack.objects.filter(campaign=pack.campaign).values_list("pk", flat=True)[DeliveryPack.KEEP :]
    DeliveryPack.objects.filter(pk__in=list(stale)).exclude(status=DeliveryPack.Status.BUILDING).delete()
    return DeliveryPack.Status.READY
