"""Made-up signers, so that a local site looks and behaves as it will with thousands of them.

`signers` makes unsaved signatures that look exactly like real ones: the
mailbox, registrable domain, IP hash, postcode region and token come from the
functions that make real ones. Most signers are ordinary people across the UK
(regions weighted by population), signing over the campaign's first weeks by
day and by hour of the day; a few spam bursts in the last hour give a trainee
moderator something to find in the overview and invalidate. Every address is
at a domain under `.example` (RFC 2606: it never receives mail), every IP
address is from the ranges set aside for documentation (RFC 5737, RFC 3849),
and `standing.add_demo` marks every row as demo, so that none is ever exported
or delivered.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from campaign import PRIVACY_NOTICE_VERSION

from . import postcodes
from .domains import registrable
from .mailboxes import mailbox
from .models import Signature, new_token
from .signing import hash_ip

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from campaign.models import Campaign

# Mid-2022 population estimates in thousands (ONS; NISRA and NRS for Northern Ireland and Scotland; the
# islands' own statistics offices): how signers spread across the regions.
POPULATION = {
    "north-east": 2_683,
    "north-west": 7_516,
    "yorkshire-and-the-humber": 5_541,
    "east-midlands": 4_935,
    "west-midlands": 6_022,
    "east-of-england": 6_398,
    "london": 8_866,
    "south-east": 9_380,
    "south-west": 5_765,
    "wales": 3_132,
    "scotland": 5_448,
    "northern-ireland": 1_911,
    "channel-islands-and-isle-of-man": 251,
}
OUTSIDE_UK = 0.015
COUNTRIES = ["IE", "IE", "IE", "US", "US", "FR", "ES", "ES", "AU", "DE", "CA", "NL", "PT", "NZ", "AE", "IT"]
# The City and the West End have lettered districts.
DISTRICTS = {
    "EC": ["1A", "1M", "1N", "1R", "1V", "2A", "2M", "2V", "3A", "3M", "3N", "4A", "4M", "4V"],
    "WC": ["1A", "1B", "1E", "1H", "1N", "1R", "1V", "1X", "2A", "2B", "2E", "2H", "2N", "2R"],
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

FIRST_NAMES = """
Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Evie Poppy Emily Charlotte Ella Florence Sophie
Chloe Hannah Lucy Sarah Emma Rachel Laura Rebecca Claire Helen Karen Susan Julie Nicola Joanne Michelle Gemma Zoe Amy
Jessica Megan Niamh Siobhan Aoife Catriona Morag Eilidh Cerys Ffion Seren Bethan Nia Priya Aisha Fatima Zainab Amira
Maryam Noor Anjali Sunita Harpreet Kiran Mei Yan Ngozi Chioma Adaeze Agnieszka Katarzyna Ioana Maria Ana Noah Oliver
George Arthur Leo Muhammad Harry Oscar Archie Henry Jack Theo Charlie Freddie Alfie Thomas James William Daniel David
Michael Paul Mark Andrew Richard Peter Stephen Robert John Christopher Matthew Simon Gareth Rhys Dylan Owen Callum
Fraser Hamish Ewan Ciaran Sean Declan Eoin Mohammed Ali Omar Hassan Imran Arjun Rohan Sanjay Vikram Rajesh Tariq
Kwame Chinedu Emeka Tomasz Piotr Marek Andrei Luca Marco Wei Jun Kofi Joseph Samuel Ben Tom Sam Adam Luke Ryan
""".split()  # noqa: SIM905 (a word list reads better as text)
LAST_NAMES = """
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker White
Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee
King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly
Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams
Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer
Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson
Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks
MacDonald MacLeod Fraser Ross Reid Paterson Sinclair O'Brien O'Neill McLaughlin Doherty Byrne Gallagher Quinn
Nowak Kowalski Wiśniewska Popescu Okafor Adeyemi Mensah Chen Wong Nguyen Sharma Gupta Chowdhury Rahman Iqbal Shah
""".split()  # noqa: SIM905
# Made-up mail providers, a few large and many small, as real ones are; then workplaces, with subdomains.
PROVIDERS = {
    "inbox.example": 30,
    "postbox.example": 18,
    "letterbox.example": 12,
    "mailhome.example": 9,
    "pigeonpost.example": 6,
    "northmail.example": 4,
    "fastpost.example": 3,
    "kitemail.example": 2,
    "staff.nhs-trust.example": 2,
    "council.example": 2,
    "pupils.school.example": 1,
    "students.university.example": 1,
    "staff.university.example": 1,
    "charity.example": 1,
    "family-name.example": 1,
}
MESSAGES = [
    "As a parent of two primary school children, I want the apps they use to be safe by design.",
    "I'm a teacher. Every term we deal with harm that started on social media. Please act.",
    "Please make the tech companies responsible for what happens on their platforms.",
    "My niece was contacted by a stranger on a gaming app. It should never have been possible.",
    "Children deserve the same protection online as they have offline.",
    "Put children's safety before profit.",
    "As a grandparent I worry about what my grandchildren see and who can reach them online.",
    "Please don't water the Bill down. Strengthen it.",
    "I work in child protection. Platforms must act before harm is done, not after.",
    "Grooming moves from one app to another: the law has to follow it.",
    "Senior managers who ignore child safety should be held to account.",
    "Make reporting easy for children, and make sure someone answers.",
    "As a youth worker I see how quickly things escalate. Please listen to the police figures.",
    "Thank you for reading this. Please act now, for every child.",
    "I'm a dad of three. I shouldn't need to be a tech expert to keep them safe.",
    "Speaking as a survivor: this matters more than I can say.",
    "The companies know what happens on their services. Make them stop it.",
    "My daughter is 12. Please make the internet safer before she is 13.",
    "I'm a school governor and we see the effects every week.",
    "Safety by design should be the law, not a choice.",
    "Please include private messaging: that is where grooming happens.",
    "Our children are not a product. Protect them.",
]
SPAM_NAMES = [
    ("Cheap", "Meds www.pills-now.example"),
    ("Win", "Prizes https://lucky.example/win"),
    ("Crypto", "Profits fast-coins.example"),
    ("<b>Loans</b>", "Today"),
    ("Hot", "Deals @ deals.spam.example"),
]
SPAM_MESSAGES = [
    "Earn £500 a day from home!!! Visit www.quick-cash.example now",
    "CHEAP PILLS no prescription http://pills.example",
    "Best crypto signals, 1000% returns: https://fast-coins.example",
    "Click here for FREE gift cards >>> http://lucky.example",
    "SEO services, rank #1 on Google, contact seo@spam.example",
]


@dataclass(frozen=True)
class Burst:
    """A scripted attack: `share` of the spam, within one minute, `minutes_ago` before the demo was made."""

    name: str
    share: float
    minutes_ago: int
    confirmed: float  # the share whose script also opened the confirmation link
    clue: str  # what gives it away, for the summary


BURSTS = [
    Burst("domain", 0.4, 50, 0.3, "addresses at subdomains of quickinbox.example, from many IP addresses"),
    Burst("ip", 0.35, 25, 0.6, "one IP address (203.0.113.66), ordinary-looking names and domains"),
    Burst("links", 0.25, 8, 0.1, "links in names and messages, addresses at spam.example, one IPv6 /64"),
]
# The share of demo signers who are spam, split between the bursts.
SPAM = 0.02
# How far back the demo's signing goes, at most: the campaign's opening if later.
WINDOW = timedelta(days=28)
# Signing by hour of the day (UK time): quiet at night, busiest in the evening.
HOURLY = [2, 1, 0.6, 0.4, 0.4, 0.6, 1.5, 3, 5, 6, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4]


def signers(
    campaign: Campaign, count: int, *, now: datetime | None = None, seed: int | None = None, taken: Iterable[str] = ()
) -> Iterator[Signature]:
    """`count` unsaved made-up signatures on `campaign`, oldest first, none with a mailbox in `taken`."""
    # Made-up data, not secrets (the tokens come from `secrets`): a seeded generator makes the same signers again.
    rng = random.Random(seed)  # noqa: S311
    return _Signers(campaign, now or timezone.now(), rng, set(taken)).make(count)


def domains() -> set[str]:
    """The registrable domains of every demo address (so that addresses already taken there can be found)."""
    return {registrable(domain) for domain in PROVIDERS} | {"quickinbox.example", "spam.example"}


def spam_counts(count: int) -> dict[str, int]:
    """How many of `count` demo signers each burst has."""
    return {burst.name: round(count * SPAM * burst.share) for burst in BURSTS}


class _Signers:
    def __init__(self, campaign: Campaign, now: datetime, rng: random.Random, taken: set[str]):
        self.campaign, self.now, self.rng, self.taken = campaign, now, rng, taken
        self.ip_hashes: dict[str, str] = {}
        self.homes: list[str] = []
        fields = Signature._meta.concrete_fields
        self.fields = [field.attname for field in fields]
        self.defaults = {field.attname: field.get_default() for field in fields} | {
            "campaign_id": campaign.pk,
            "consent_version": PRIVACY_NOTICE_VERSION,
            "is_demo": True,
        }
        self.domains = {domain: registrable(domain) for domain in PROVIDERS}
        self.providers = list(PROVIDERS)
        self.provider_weights = list(itertools.accumulate(PROVIDERS.values()))
        by_region: dict[str, list[str]] = {}
        for area in postcodes.areas().values():
            by_region.setdefault(area.region.key, []).append(area.code)
        self.areas = by_region
        self.regions = list(POPULATION)
        self.region_weights = list(itertools.accumulate(POPULATION.values()))

    def make(self, count: int) -> Iterator[Signature]:
        spam = spam_counts(count)
        # Home connections, each an IPv6 /64 that a few of the signers share, as families and housemates do.
        self.homes = [
            f"2001:db8:{self.rng.randint(0, 0xFFFF):x}:{self.rng.randint(0, 0xFFFF):x}::1"
            for _ in range(max(1, count // 4))
        ]
        makers: list[tuple[datetime, Callable[[datetime], Signature]]] = [
            (created_at, self.genuine) for created_at in self._times(count - sum(spam.values()))
        ]
        for burst in BURSTS:
            start = self.now - timedelta(minutes=burst.minutes_ago)
            make = functools.partial(getattr(self, f"_{burst.name}_burst"), burst)
            makers += [(start + timedelta(seconds=60 * self.rng.random()), make) for _ in range(spam[burst.name])]
        makers.sort(key=lambda maker: maker[0])
        return (make(created_at) for created_at, make in makers)

    def _times(self, count: int) -> list[datetime]:
        """When each genuine signer signed: a launch that tails off, a busy last day, by hour of the day."""
        start = max(self.now - WINDOW, self.campaign.opens_at or self.now - WINDOW)
        start = min(start, self.now - timedelta(days=1))
        hours = math.ceil((self.now - start) / timedelta(hours=1))
        slots, weights = [], []
        for hour in range(hours):
            begins = start + timedelta(hours=hour)
            width = min(timedelta(hours=1), self.now - begins)
            age = (begins - start) / timedelta(days=1)
            launch = 1 + 4 * math.exp(-age / 1.5)
            today = 2 if self.now - begins < timedelta(days=1) else 1
            slots.append((begins, width))
            weights.append(HOURLY[timezone.localtime(begins).hour] * launch * today * (width / timedelta(hours=1)))
        chosen = self.rng.choices(slots, weights, k=count)
        return [begins + width * self.rng.random() for begins, width in chosen]

    def genuine(self, created_at: datetime) -> Signature:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = rng.choices(self.providers, cum_weights=self.provider_weights)[0]
        status, confirmed_at, invalidated_at, reason = self._standing(created_at)
        message, message_status = "", str(Signature.MessageStatus.NONE)
        if rng.random() < 0.07:
            message, message_status = rng.choice(MESSAGES), self._moderated(status, created_at)
        return self._signature(
            created_at,
            first_name=first,
            last_name=last,
            email=self._address(self._local_part(first, last), domain),
            ip=self._ordinary_ip(),
            status=status,
            confirmed_at=confirmed_at,
            invalidated_at=invalidated_at,
            invalidation_reason=reason,
            show_name=rng.random() < 0.45,
            contact_opt_in=rng.random() < 0.35,
            message=message,
            message_status=message_status,
            **self._place(),
        )

    def _standing(self, created_at: datetime) -> tuple[str, datetime | None, datetime | None, str]:
        """Most confirm within minutes, some within days, one in ten never; a few were invalidated since.

        As many random numbers whatever the outcome, so that a seed makes the same signers at any time of day.
        """
        never, speed, delay, invalid, later = (self.rng.random() for _ in range(5))
        minutes = 0.5 + 14.5 * delay if speed < 0.7 else 15 + 345 * delay if speed < 0.9 else 360 + 3960 * delay
        confirmed_at = created_at + timedelta(minutes=minutes)
        if never < 0.1 or confirmed_at >= self.now:
            return Signature.Status.PENDING, None, None, ""
        age = self.now - confirmed_at
        if age > timedelta(days=1) and invalid < 0.003:
            reason = (
                Signature.InvalidationReason.DUPLICATE if later < 0.5 else Signature.InvalidationReason.SIGNER_REQUEST
            )
            return Signature.Status.INVALIDATED, confirmed_at, confirmed_at + age * later, reason
        return Signature.Status.CONFIRMED, confirmed_at, None, ""

    def _moderated(self, status: str, created_at: datetime) -> str:
        """Moderators have read most messages of confirmed signers older than half a day, and none newer."""
        roll = self.rng.random()
        if status != Signature.Status.CONFIRMED or self.now - created_at < timedelta(hours=12):
            return Signature.MessageStatus.PENDING
        if roll < 0.8:
            return Signature.MessageStatus.APPROVED
        return Signature.MessageStatus.HIDDEN if roll < 0.85 else Signature.MessageStatus.PENDING

    def _domain_burst(self, burst: Burst, created_at: datetime) -> Signature:
        """A throwaway domain with a subdomain per address (which the domain limit sees through), from a botnet."""
        rng = self.rng
        letters = "bcdfghjklmnpqrstvwxz"
        first = "".join(rng.choices(letters, k=rng.randint(4, 7))).title()
        last = "".join(rng.choices(letters, k=rng.randint(5, 8))).title()
        local = "".join(rng.choices(letters + "0123456789", k=10))
        return self._spam(
            created_at,
            first_name=first,
            last_name=last,
            email=self._address(local, f"m{rng.randint(1, 40)}.quickinbox.example"),
            ip=f"203.0.113.{rng.randint(1, 254)}",
            confirmed=burst.confirmed,
        )

    def _ip_burst(self, burst: Burst, created_at: datetime) -> Signature:
        """One address signing as many ordinary-looking people, at ordinary-looking domains."""
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = rng.choices(self.providers, cum_weights=self.provider_weights)[0]
        return self._spam(
            created_at,
            first_name=first,
            last_name=last,
            email=self._address(f"{_ascii(first)}{_ascii(last)}{rng.randint(100, 9999)}", domain),
            ip="203.0.113.66",
            confirmed=burst.confirmed,
        )

    def _links_burst(self, burst: Burst, created_at: datetime) -> Signature:
        """Advertising in the names and the messages, from one IPv6 /64 (counted as one address)."""
        rng = self.rng
        first, last = rng.choice(SPAM_NAMES)
        subdomain = rng.choice(["deals", "win", "promo", "offers"])
        return self._spam(
            created_at,
            first_name=first,
            last_name=last,
            email=self._address(f"promo{rng.randint(1, 999_999)}", f"{subdomain}.spam.example"),
            ip=f"2001:db8:5bad:1::{rng.randint(1, 0xFFFF):x}",
            confirmed=burst.confirmed,
            message=rng.choice(SPAM_MESSAGES),
            show_name=True,
        )

    def _spam(
        self, created_at: datetime, *, confirmed: float, message: str = "", show_name: bool = False, **fields: Any
    ) -> Signature:
        confirmed_at = None
        if self.rng.random() < confirmed:
            confirmed_at = min(created_at + timedelta(seconds=self.rng.uniform(20, 120)), self.now)
        return self._signature(
            created_at,
            status=Signature.Status.CONFIRMED if confirmed_at else Signature.Status.PENDING,
            confirmed_at=confirmed_at,
            show_name=show_name,
            message=message,
            message_status=Signature.MessageStatus.PENDING if message else Signature.MessageStatus.NONE,
            **self._place(),
            **fields,
        )

    def _signature(self, created_at: datetime, *, email: str, ip: str, **fields: Any) -> Signature:
        domain = email.rpartition("@")[2].lower()
        values = self.defaults | fields
        values.update(
            email=email,
            mailbox=mailbox(email),
            email_domain=self.domains.get(domain) or registrable(domain),
            ip_hash=self._hash(ip),
            created_at=created_at,
            token=new_token(),
        )
        # Positional, in field order, as Django makes the rows it reads: half the time of keyword arguments.
        # (The stubs check positional arguments one by one; a list of every field's value is what Django takes.)
        return Signature(*[values[name] for name in self.fields])  # type: ignore[misc]

    def _local_part(self, first: str, last: str) -> str:
        """How people spell their address: first.last, firstlast, flast, with a number or a tag now and then."""
        rng = self.rng
        first, last = _ascii(first), _ascii(last)
        local = rng.choice([f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}", first])
        if rng.random() < 0.4:
            local += str(rng.choice([rng.randint(1, 99), rng.randint(1950, 2008)]))
        if rng.random() < 0.03:
            local += "+letter"  # the mailbox is the same without it
        return local.title() if rng.random() < 0.05 else local

    def _address(self, local: str, domain: str) -> str:
        """An address whose mailbox nobody has used, with digits after the name (before any +tag) if need be."""
        name, plus, tag = local.partition("+")
        address = f"{local}@{domain}"
        while mailbox(address) in self.taken:
            address = f"{name}{self.rng.randint(1, 9999)}{plus}{tag}@{domain}"
        self.taken.add(mailbox(address))
        return address

    def _ordinary_ip(self) -> str:
        """Mostly a home's connection, sometimes an IPv4 address shared by many (a mobile network's or an office's)."""
        rng = self.rng
        if rng.random() < 0.25:
            return f"{rng.choice(['192.0.2', '198.51.100'])}.{rng.randint(1, 254)}"
        return rng.choice(self.homes)

    def _hash(self, ip: str) -> str:
        if ip not in self.ip_hashes:
            self.ip_hashes[ip] = hash_ip(ip)
        return self.ip_hashes[ip]

    def _place(self) -> dict[str, str]:
        rng = self.rng
        if rng.random() < OUTSIDE_UK:
            return {"postcode": "", "country": rng.choice(COUNTRIES), "region": postcodes.OUTSIDE_UK}
        region = rng.choices(self.regions, cum_weights=self.region_weights)[0]
        area = rng.choice(self.areas[region])
        district = rng.choice(DISTRICTS[area]) if area in DISTRICTS else str(rng.randint(1, 9))
        inward = f"{rng.randint(0, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        return {"postcode": f"{area}{district} {inward}", "country": "GB", "region": region}


def _ascii(name: str) -> str:
    """A name as people put it in an address: lower case, without accents or apostrophes."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace("'", "")
