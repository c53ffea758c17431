"""The verified signature list for delivery, as CSV that streams and is safe to open in a spreadsheet.

Rows are read with a server-side cursor in chunks and written as they are
read, so memory stays flat however many there are. defusedcsv neutralises
cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR).
"""

import functools
from dataclasses import dataclass

from defusedcsv import csv
from django.utils import timezone
from django_countries import countries

from . import postcodes
from .models import Signature
from .names import Audience, shown_name

CHUNK = 5000


@dataclass(frozen=True)
class Column:
    header: str
    fields: tuple
    value: object  # function of a row dict


def _postcode_area(row):
    area = postcodes.area_for(row["postcode"]) if row["postcode"] else None
    return area.code if area else ""


@functools.cache
def _country(code):
    return countries.name(code) or code


def _region(row):
    region = postcodes.regions().get(row["region"])
    return region.name if region else row["region"]


COLUMNS = {
    "name": Column(
        "Name",
        ("first_name", "last_name", "show_name"),
        lambda row: shown_name(
            Audience.RECIPIENT, first_name=row["first_name"], last_name=row["last_name"], show_name=row["show_name"]
        ),
    ),
    "postcode_district": Column(
        "Postcode district", ("postcode",), lambda row: postcodes.district(row["postcode"]) if row["postcode"] else ""
    ),
    "postcode_area": Column("Postcode area", ("postcode",), _postcode_area),
    "region": Column("Region", ("region",), _region),
    "country": Column("Country", ("country",), lambda row: _country(row["country"])),
    # The day in the UK, where the letter is delivered: 23:30 UTC on a summer evening is already tomorrow.
    "signed": Column("Signed on", ("confirmed_at",), lambda row: timezone.localdate(row["confirmed_at"]).isoformat()),
    "message": Column(
        "Message to the minister",
        ("message", "message_status"),
        # Only what moderators approved goes to the minister.
        lambda row: row["message"] if row["message_status"] == Signature.MessageStatus.APPROVED else "",
    ),
}
DEFAULT_COLUMNS = ["name", "postcode_district", "region", "signed"]


def rows(campaign, columns):
    """The header, then one list of cells per confirmed real signature, oldest first, read in chunks."""
    chosen = [COLUMNS[key] for key in columns]
    fields = sorted({field for column in chosen for field in column.fields})
    yield [column.header for column in chosen]
    signatures = Signature.objects.for_campaign(campaign).confirmed().real().order_by("pk").values(*fields)
    for row in signatures.iterator(chunk_size=CHUNK):
        yield [_neutralise(column.value(row)) for column in chosen]


def _neutralise(cell):
    # defusedcsv covers = + - @ | %; a leading tab or carriage return can start a formula too.
    return f"'{cell}" if cell[:1] in ("\t", "\r") else cell


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer to stream through."""

    def write(self, value):
        return value


def csv_lines(campaign, columns):
    """The export as CSV text, a line at a time, starting with a byte-order mark for spreadsheets."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows(campaign, columns):
        yield writer.writerow(row)
