"""The verified signature list for delivery, and the contacts of those who asked to hear more, as CSV that
streams and is safe to open in a spreadsheet.

Rows are read with a server-side cursor in chunks and written as they are
read, so memory stays flat however many there are. Every cell passes through
`spreadsheet_safe`, which neutralises what a spreadsheet would run as a
formula, however it is disguised; defusedcsv's writer stays as a second guard.
"""

import functools
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from defusedcsv import csv
from django.utils import timezone
from django_countries import countries

from campaign.models import Campaign

from . import consent, postcodes
from .models import Signature, SignatureQuerySet
from .names import Audience, shown_name

CHUNK = 5000

# A signature as `values()` reads it: its keys, and their types, are those of the columns chosen.
Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    header: str
    fields: tuple[str, ...]
    value: Callable[[Row], str]
    # What the column holds, in words, on the page that offers the export.
    description: str = ""


def _postcode_area(row: Row) -> str:
    area = postcodes.area_for(row["postcode"]) if row["postcode"] else None
    return area.code if area else ""


@functools.cache
def _country(code: str) -> str:
    return countries.name(code) or code


def _name(row: Row) -> str:
    # Those who did not agree to be named are in the rows, counted, without their names.
    name = shown_name(
        Audience.RECIPIENT, first_name=row["first_name"], last_name=row["last_name"], show_name=row["show_name"]
    )
    return name or ""


def _region(row: Row) -> str:
    region = postcodes.regions().get(row["region"])
    return region.name if region else row["region"]


COLUMNS = {
    "name": Column(
        "Name",
        ("first_name", "last_name", "show_name"),
        _name,
        "the signer's name, only for those who agreed to be named and whose name carries no link, address or "
        "markup (the others' rows are counted without it)",
    ),
    "postcode_district": Column(
        "Postcode district",
        ("postcode",),
        lambda row: postcodes.district(row["postcode"]) if row["postcode"] else "",
        "the first half of the postcode (BN1), never the whole postcode; blank outside the UK",
    ),
    "postcode_area": Column(
        "Postcode area", ("postcode",), _postcode_area, "the postcode's letters (BN); blank outside the UK"
    ),
    "region": Column("Region", ("region",), _region, "the region counted (South East, Wales, Outside the UK)"),
    "country": Column("Country", ("country",), lambda row: _country(row["country"]), "the country the signer lives in"),
    # The day in the UK, where the letter is delivered: 23:30 UTC on a summer evening is already tomorrow.
    "signed": Column(
        "Signed on",
        ("confirmed_at",),
        lambda row: timezone.localdate(row["confirmed_at"]).isoformat(),
        "the day the signature was confirmed, in UK time",
    ),
    "message": Column(
        "Message to the minister",
        ("message", "message_status"),
        # Only what moderators approved goes to the minister.
        lambda row: row["message"] if row["message_status"] == Signature.MessageStatus.APPROVED else "",
        "the signer's message, only once moderators have approved it",
    ),
}
DEFAULT_COLUMNS = ["name", "postcode_district", "region", "signed"]


def _agreed_on(row: Row) -> str:
    return timezone.localtime(row["created_at"]).strftime("%Y-%m-%d %H:%M")


# The list the charity may use: only signers who ticked the box, with what they agreed to and when.
CONTACT_COLUMNS = [
    Column(
        "Name",
        ("first_name", "last_name", "show_name"),
        lambda row: shown_name(
            Audience.STAFF, first_name=row["first_name"], last_name=row["last_name"], show_name=row["show_name"]
        ),
        "the signer's first and last name, as typed",
    ),
    Column("Email address", ("email",), lambda row: row["email"], "the address they signed with and confirmed"),
    # When they ticked the box and sent the form (UK time); confirming their address came after.
    Column("Agreed on", ("created_at",), _agreed_on, "when they sent the form with the box ticked, in UK time"),
    Column(
        "Address confirmed on",
        ("confirmed_at",),
        lambda row: timezone.localtime(row["confirmed_at"]).strftime("%Y-%m-%d %H:%M"),
        "when they opened the link in our email and confirmed, in UK time",
    ),
    Column(
        "Wording agreed to",
        ("contact_wording",),
        lambda row: consent.contact_wording(row["contact_wording"]),
        "the words of the box they ticked, exactly as the sign form showed them",
    ),
]


def rows(campaign: Campaign, columns: Iterable[str]) -> Iterator[list[str]]:
    """The header, then one list of cells per confirmed signature (never a demo one), oldest first, read in chunks."""
    chosen = [COLUMNS[key] for key in columns]
    return _table(Signature.objects.for_campaign(campaign).confirmed().real(), chosen)


def contacts(campaign: Campaign) -> SignatureQuerySet:
    """The signatures the contacts export lists: confirmed, valid, not erased, and asking to hear more."""
    return Signature.objects.for_campaign(campaign).contactable()


def contact_rows(campaign: Campaign) -> Iterator[list[str]]:
    """The header, then name, address, when they agreed and to what, for each signer who asked to hear more."""
    return _table(contacts(campaign), CONTACT_COLUMNS)


def _table(signatures: SignatureQuerySet, chosen: list[Column]) -> Iterator[list[str]]:
    fields = sorted({field for column in chosen for field in column.fields})
    yield [column.header for column in chosen]
    for row in signatures.order_by("pk").values(*fields).iterator(chunk_size=CHUNK):
        yield [spreadsheet_safe(column.value(row)) for column in chosen]


# What starts a formula (or a DDE command) in Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "|", "%")


def spreadsheet_safe(cell: str) -> str:
    """The cell as text a spreadsheet shows rather than runs: prefixed with ' if it could start a formula.

    Spreadsheets may read full-width and other compatibility forms (＝, ＋, ＠, －) as the plain sign, and
    skip leading spaces, byte-order marks and invisible format characters (zero-width space, joiners, direction
    marks), so the test is on the cell as NFKC folds it with those stripped; defusedcsv checks only the
    first character as typed. One function for every CSV the site writes.
    """
    if cell[:1] in ("\t", "\r"):
        return f"'{cell}"
    folded = unicodedata.normalize("NFKC", cell)
    start = next((char for char in folded if not _invisible(char)), "")
    return f"'{cell}" if start in FORMULA_STARTS else cell


def _invisible(char: str) -> bool:
    # White space (Zs, Zl, Zp and the control characters among them), other controls, and format characters
    # (Cf: the byte-order mark, zero-width space and joiners, soft hyphen, direction marks).
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer to stream through."""

    def write(self, value: str) -> str:
        return value


def csv_lines(campaign: Campaign, columns: Iterable[str]) -> Iterator[str]:
    """The export as CSV text, a line at a time, starting with a byte-order mark for spreadsheets."""
    return _csv(rows(campaign, columns))


def contact_csv_lines(campaign: Campaign) -> Iterator[str]:
    """The contacts export as CSV text, a line at a time, like csv_lines."""
    return _csv(contact_rows(campaign))


def _csv(table: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in table:
        yield writer.writerow(row)
