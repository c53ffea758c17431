from django import template
from django.template.context import Context

from campaign.models import Campaign
from petition import counting, public
from petition.forms import SignForm

register = template.Library()


@register.inclusion_tag("petition/_panel.html", takes_context=True)
def signature_panel(context: Context, campaign: Campaign) -> dict[str, object]:
    """The count, its progress, the regional chart, recent signers and the sign form, for a campaign page."""
    totals = counting.totals(campaign)
    return {
        "campaign": campaign,
        "csrf_token": context.get("csrf_token"),
        "form_clock": context.get("form_clock"),
        "source": context.get("source"),
        "totals": totals,
        "target": counting.milestone(totals.count, campaign.signature_goal),
        "regions": public.region_rows(totals),
        "recent": public.recent_signatories(campaign),
        "messages": public.approved_messages(campaign),
        "form": SignForm(campaign=campaign) if campaign.is_accepting_signatures() else None,
    }
