"""The delivery pack: what is handed to the minister, as a printable page and a PDF.

The letter, its recipient and asks, the verified count, the count by region,
and the names (first name and surname, with their area) of the signatories
who agreed to be named.
"""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from . import counting, public
from .models import Signature


def context(campaign):
    totals = counting.totals(campaign)
    named = (
        Signature.objects.for_campaign(campaign)
        .public()
        .order_by("confirmed_at", "pk")
        .values_list("first_name", "last_name", "postcode", "country")
    )
    return {
        "campaign": campaign,
        "asks": campaign.asks.all(),
        "totals": totals,
        "regions": public.region_rows(totals),
        "named": (
            (f"{first} {last}", public.place(postcode, country)) for first, last, postcode, country in named.iterator()
        ),
        "generated_at": timezone.now(),
    }


def pdf(campaign):
    """The pack as a PDF document (WeasyPrint renders the same template with the print stylesheet)."""
    from weasyprint import CSS, HTML

    html = render_to_string("petition/staff/delivery_pack.html", context(campaign) | {"for_pdf": True})
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=finders.find("css/print.css"))])
