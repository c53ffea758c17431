"""The delivery pack: what is handed to the minister, as a printable page and a PDF.

A cover page (the campaign, its organiser if it has one, the recipient, the
count and the date), the letter, its asks, the verified count by region, and
the names and areas of the signatories who agreed to be named (petition.names:
everyone is counted, only they are named, and never a name carrying a link,
an address or markup), under headings by nation and region,
by surname within each region.

The print page is rendered in the request. The PDF is built by the task
worker (`build`), because WeasyPrint lays out a couple of thousand names a
second at best and its memory grows with the document: the names are laid out
in parts of NAMES_PER_PART, each its own small PDF, and the parts are joined
with pypdf, so memory stays flat however many signatories there are. The
total number of pages is known only once every part is laid out, so the parts
carry no page numbers: "Page N of M" is stamped on afterwards, from small PDFs
of numbered blank pages laid out the same way (`_number_pages`).

WeasyPrint and pypdf are the `pdf` extra: a deployment may leave them (and
WeasyPrint's native Pango) out, and the site runs; the delivery page then
says what to install, and the print page still prints.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, TypedDict

from django.contrib.staticfiles import finders
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from campaign.models import Ask, Campaign

from . import audit, counting, postcodes, public
from .counting import Totals
from .models import AuditEntry, DeliveryPack, Signature
from .names import Audience, shown_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet
    from pypdf import PdfWriter

logger = logging.getLogger(__name__)

NAMES_PER_PART = 2000
# Numbered blank pages laid out at once for stamping: a few hundred take a few seconds and little memory.
FOLIO_PAGES = 250

PDF_PACKAGES = ("weasyprint", "pypdf")
PDF_INSTALL = (
    "Building PDFs needs the pdf extra (WeasyPrint and pypdf): `uv sync --locked --extra pdf`, "
    "and WeasyPrint's Pango (Debian: `apt-get install libpango-1.0-0 libpangoft2-1.0-0`)."
)
FONTS_INSTALL = "Debian's Noto fonts draw every script: `apt-get install fonts-noto-core fonts-noto-cjk`."


def pdf_missing() -> str | None:
    """What to install before PDFs can be built here, or None when they can (the print page always works)."""
    if all(importlib.util.find_spec(name) for name in PDF_PACKAGES):
        return None
    return PDF_INSTALL


@dataclass(frozen=True)
class Signatory:
    """A named signatory as the pack lists them: numbered through the whole list, with their area (or country)."""

    number: int
    name: str
    place: str


@dataclass(frozen=True)
class Group:
    """Consecutive signatories of one region, under its headings, as much of it as one part of the PDF holds.

    `nation` is empty when the group is in the same nation as the one before it on the page; `region` is
    empty when the region is the whole nation (Wales, Scotland). `continued` marks the rest of a region
    that an earlier part began.
    """

    nation: str
    region: str
    continued: bool
    signatories: list[Signatory]


class PackContext(TypedDict):
    campaign: Campaign
    asks: QuerySet[Ask]
    totals: Totals
    regions: list[public.RegionRow]
    named_count: int
    groups: Iterable[Group]
    front: bool
    generated_at: datetime


def sort_key(text: str) -> str:
    """A name as it is alphabetised: case and accents set aside, so that Ávila files beside Avila, before Bevan."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _named_signatures(campaign: Campaign) -> QuerySet[Signature]:
    # Those the recipient may name (petition.names decides, row by row; this only skips the rest unread).
    return Signature.objects.for_campaign(campaign).confirmed().real().filter(show_name=True)


def _named_count(campaign: Campaign) -> int:
    """How many the pack names: read row by row, as petition.names decides (a name with a link is not named)."""
    rows = _named_signatures(campaign).values_list("first_name", "last_name").iterator(chunk_size=NAMES_PER_PART)
    return sum(
        1 for first, last in rows if shown_name(Audience.RECIPIENT, first_name=first, last_name=last, show_name=True)
    )


def _by_region(campaign: Campaign) -> Iterator[tuple[postcodes.Region, Iterator[tuple[str, str]]]]:
    """Each region's named signatories, as (name, place) by surname then first name, regions in the site's order.

    The rows come in region order from the database; each region is sorted here, in Python, so that the order
    is the same on SQLite and PostgreSQL. Only one region's names are in memory at a time (about 37 MB for
    100,000 in one region, against WeasyPrint's 200 MB for a part).
    """
    regions = postcodes.regions()
    order = Case(
        *(When(region=key, then=Value(position)) for position, key in enumerate(regions)),
        default=Value(len(regions)),
        output_field=IntegerField(),
    )
    rows = (
        _named_signatures(campaign)
        .order_by(order, "region")
        .values_list("region", "first_name", "last_name", "show_name", "postcode", "country")
    )
    for key, region_rows in itertools.groupby(rows.iterator(chunk_size=NAMES_PER_PART), key=itemgetter(0)):
        named = []
        for _, first, last, show, postcode, country in region_rows:
            name = shown_name(Audience.RECIPIENT, first_name=first, last_name=last, show_name=show)
            if name:
                collated = (sort_key(last), sort_key(first), last, first)
                named.append((collated, name, public.place(postcode, country)))
        named.sort(key=itemgetter(0))
        yield regions.get(key) or postcodes.Region(key, key, key), ((name, place) for _, name, place in named)


def _signatories(campaign: Campaign) -> Iterator[tuple[postcodes.Region, Signatory]]:
    """Every named signatory in the pack's order, numbered, with their region."""
    numbers = itertools.count(1)
    for region, named in _by_region(campaign):
        for name, place in named:
            yield region, Signatory(next(numbers), name, place)


def _groups(
    signatories: Iterable[tuple[postcodes.Region, Signatory]], after: postcodes.Region | None = None
) -> Iterator[Group]:
    """Signatories under their headings; `after` is the region the previous part ended in, if any."""
    previous = after
    first = True
    for region, run in itertools.groupby(signatories, key=itemgetter(0)):
        yield Group(
            nation=region.nation if first or previous is None or region.nation != previous.nation else "",
            region=region.name if region.name != region.nation else "",
            continued=region == after and first,
            signatories=[signatory for _, signatory in run],
        )
        previous, first = region, False


def context(campaign: Campaign) -> PackContext:
    totals = counting.verified(campaign)
    return {
        "campaign": campaign,
        "asks": campaign.asks.all(),
        "totals": totals,
        "regions": public.region_rows(totals),
        "named_count": _named_count(campaign),
        "groups": _groups(_signatories(campaign)),
        "front": True,
        "generated_at": timezone.now(),
    }


def request_pdf(campaign: Campaign, user: User) -> DeliveryPack:
    """Record and audit a request for the PDF, and have the worker build it once this transaction commits."""
    totals = counting.verified(campaign)
    pack = DeliveryPack.objects.create(
        campaign=campaign,
        requested_by=user,
        signatures=totals.count,
        named_total=_named_count(campaign),
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


def _stylesheets(*extra: str) -> list[object]:
    from weasyprint import CSS

    return [CSS(filename=finders.find("css/print.css")), *(CSS(string=rule) for rule in extra)]


# The parts are laid out without page numbers, which are stamped on once the total is known.
NO_FOLIO = "@page { @bottom-center { content: none } }"


def _render(html: str) -> bytes:
    """One part as a PDF."""
    # Imported here, in the worker only: WeasyPrint takes half a second to load and needs Pango, which
    # a web server never needs (and a deployment without the pdf extra does not have).
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf(stylesheets=_stylesheets(NO_FOLIO))
    return pdf


def _folios(first: int, count: int, total: int) -> bytes:
    """`count` blank pages numbered from `first` "of `total`", laid out by print.css as the parts are."""
    from weasyprint import HTML

    folio = (
        f'@page {{ @bottom-center {{ content: "Page " counter(page) " of {total}" }} }} '
        f"@page :first {{ counter-reset: page {first} }} "
        "div { break-after: page }"
    )
    html = '<!doctype html><html lang="en-GB"><body>' + "<div></div>" * count + "</body></html>"
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=_stylesheets(folio))
    return pdf


def _number_pages(writer: PdfWriter) -> None:
    """Stamp "Page N of M" on every page of the joined PDF, a few hundred pages at a time."""
    from pypdf import PdfReader

    total = len(writer.pages)
    for start in range(0, total, FOLIO_PAGES):
        count = min(FOLIO_PAGES, total - start)
        folios = PdfReader(io.BytesIO(_folios(start + 1, count, total)))
        for page, folio in zip(writer.pages[start : start + count], folios.pages, strict=True):
            page.merge_page(folio)
            page.compress_content_streams()


class _MissingGlyphs(logging.Filter):
    """Counts, and keeps out of the log, WeasyPrint's warnings of characters no installed font has.

    Each such warning quotes the character, so a name in a script without a font would be logged letter by letter.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(".notdef glyph"):
            self.count += 1
            return False
        return True


@contextlib.contextmanager
def _missing_glyphs() -> Iterator[_MissingGlyphs]:
    missing = _MissingGlyphs()
    weasyprint_logger = logging.getLogger("weasyprint")
    weasyprint_logger.addFilter(missing)
    try:
        yield missing
    finally:
        weasyprint_logger.removeFilter(missing)


@task
def build_delivery_pack(pack_id: int) -> str:
    """Build a delivery pack's PDF in the task worker."""
    return build(pack_id)


def build(pack_pk: int) -> str:
    """Lay out the pack part by part, keeping progress on the DeliveryPack, number its pages, and store it."""
    pack = DeliveryPack.objects.select_related("campaign").defer("pdf").get(pk=pack_pk)
    try:
        from pypdf import PdfWriter

        base = context(pack.campaign)
        writer = PdfWriter()
        done = 0
        after: postcodes.Region | None = None
        parts = itertools.batched(_signatories(pack.campaign), NAMES_PER_PART)
        with _missing_glyphs() as missing:
            # The first part holds the front matter, and is laid out even when nobody is named.
            for part in itertools.chain([next(parts, ())], parts):
                html = render_to_string(
                    "petition/staff/delivery_pack.html",
                    base | {"groups": _groups(part, after), "front": not done, "for_pdf": True},
                )
                writer.append(io.BytesIO(_render(html)))
                done += len(part)
                after = part[-1][0] if part else None
                DeliveryPack.objects.filter(pk=pack.pk).update(named_done=done, pages=len(writer.pages))
            _number_pages(writer)
        if missing.count:
            # How many, never which: the characters are pieces of names.
            logger.warning("Delivery pack %s: %s characters had no font. %s", pack.pk, missing.count, FONTS_INSTALL)
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
        named_total=done,
        pages=len(writer.pages),
        pdf=out.getvalue(),
    )
    # Packs hold signers' names: keep only the newest few of each campaign.
    stale = DeliveryPack.objects.filter(campaign=pack.campaign).values_list("pk", flat=True)[DeliveryPack.KEEP :]
    DeliveryPack.objects.filter(pk__in=list(stale)).exclude(status=DeliveryPack.Status.BUILDING).delete()
    return DeliveryPack.Status.READY
