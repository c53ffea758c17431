"""The delivery pack: what is handed to the minister, as a printable page and a PDF.

The letter, its recipient and asks, the verified count, the count by region,
and the names (first name and surname, with their area) of the signatories
who agreed to be named.

The print page is rendered in the request. The PDF is built by the task
worker (`build`), because WeasyPrint lays out a couple of thousand names a
second at best and its memory grows with the document: the names are laid out
in parts of NAMES_PER_PART, each its own small PDF, and the parts are joined
with pypdf, so memory stays flat however many signatories there are.
"""

import io
import itertools
import logging

from django.contrib.staticfiles import finders
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfWriter

from . import audit, counting, public
from .models import AuditEntry, DeliveryPack, Signature
from .names import Audience, shown_name

logger = logging.getLogger(__name__)

NAMES_PER_PART = 2000


def _named(campaign):
    """Every confirmed real signer, by name and area, as the recipient receives them (see petition.names)."""
    signers = (
        Signature.objects.for_campaign(campaign)
        .confirmed()
        .real()
        .order_by("confirmed_at", "pk")
        .values_list("first_name", "last_name", "show_name", "postcode", "country")
    )
    return (
        (
            shown_name(Audience.RECIPIENT, first_name=first, last_name=last, show_name=show),
            public.place(postcode, country),
        )
        for first, last, show, postcode, country in signers.iterator()
    )


def context(campaign):
    totals = counting.verified(campaign)
    return {
        "campaign": campaign,
        "asks": campaign.asks.all(),
        "totals": totals,
        "regions": public.region_rows(totals),
        "named": _named(campaign),
        "front": True,
        "generated_at": timezone.now(),
    }


def request_pdf(campaign, user):
    """Record and audit a request for the PDF, and have the worker build it once this transaction commits."""
    totals = counting.verified(campaign)
    pack = DeliveryPack.objects.create(
        campaign=campaign,
        requested_by=user,
        signatures=totals.count,
        named_total=Signature.objects.for_campaign(campaign).confirmed().real().count(),
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


def _render(html, first_page):
    # Imported here, in the worker only: WeasyPrint takes half a second to load and needs Pango, which
    # a web server never needs.
    from weasyprint import CSS, HTML

    page_numbers = CSS(string=f"@page {{ counter-reset: page {first_page} }}")
    document = HTML(string=html).render(stylesheets=[CSS(filename=finders.find("css/print.css")), page_numbers])
    return document.write_pdf(), len(document.pages)


@task
def build_delivery_pack(pack_id):
    """Build a delivery pack's PDF in the task worker."""
    return build(pack_id)


def build(pack_pk):
    """Lay out the pack part by part, keeping progress on the DeliveryPack, and store the joined PDF."""
    pack = DeliveryPack.objects.select_related("campaign").defer("pdf").get(pk=pack_pk)
    try:
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
            part = next(parts, None)
            if not part:
                break
        out = io.BytesIO()
        writer.write(out)
    except Exception as error:
        # No signer's data in the log: only what went wrong, not the page it went wrong on.
        logger.error("Delivery pack %s failed: %s", pack.pk, type(error).__name__)
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
