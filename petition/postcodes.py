"""Which region of the UK a postcode is in, from the table of postcode areas in data/.

A postcode's area is its leading letters (BN for BN1 1AA). The table maps each
of the 124 areas to its region and nation; see the comments at its top for its
source and for the areas that cross a regional border.
"""

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_noop

TABLE = Path(__file__).resolve().parent / "data" / "postcode_areas.csv"
OUTSIDE_UK = "outside-uk"

# In the order they are listed on the site: England's regions north to south, then the nations. Marked for
# translation: the campaign page and the count API name them in their language (the exports in English).
REGION_NAMES = [
    gettext_noop("North East"),
    gettext_noop("North West"),
    gettext_noop("Yorkshire and The Humber"),
    gettext_noop("East Midlands"),
    gettext_noop("West Midlands"),
    gettext_noop("East of England"),
    gettext_noop("London"),
    gettext_noop("South East"),
    gettext_noop("South West"),
    gettext_noop("Wales"),
    gettext_noop("Scotland"),
    gettext_noop("Northern Ireland"),
    gettext_noop("Channel Islands and Isle of Man"),
]
# The nations the regions belong to, as the table names them (the API's `by_nation`), also marked for translation.
NATION_NAMES = [
    gettext_noop("England"),
    gettext_noop("Wales"),
    gettext_noop("Scotland"),
    gettext_noop("Northern Ireland"),
    gettext_noop("Crown Dependencies"),
    gettext_noop("Outside the UK"),
]


@dataclass(frozen=True)
class Region:
    key: str
    name: str
    nation: str


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    region: Region


def key(name: str) -> str:
    """A region's or nation's name as a key for addresses and the API ("Yorkshire and The Humber" is
    yorkshire-and-the-humber), the same in every language."""
    return re.sub(r"[^a-z]+", "-", name.lower()).strip("-")


@cache
def areas() -> dict[str, Area]:
    """Postcode areas by code, read once from the shipped table."""
    with TABLE.open(encoding="utf-8") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        return {
            row["area"]: Area(row["area"], row["name"], Region(key(row["region"]), row["region"], row["nation"]))
            for row in rows
        }


@cache
def regions() -> dict[str, Region]:
    """Every region a signature can be counted in, in display order, by key."""
    found = {area.region.key: area.region for area in areas().values()}
    ordered = [found[key(name)] for name in REGION_NAMES]
    ordered.append(Region(OUTSIDE_UK, gettext_noop("Outside the UK"), gettext_noop("Outside the UK")))
    return {region.key: region for region in ordered}


def area_for(postcode: str) -> Area | None:
    """The area of a normalised postcode ("BN1 1AA" → Brighton), or None if unknown."""
    match = re.match(r"[A-Z]{1,2}", postcode)
    return areas().get(match.group()) if match else None


def district(postcode: str) -> str:
    """The outward code ("BN1" of "BN1 1AA"): precise enough to say where, too coarse to find someone."""
    return postcode.split(" ", 1)[0]
