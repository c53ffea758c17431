from django import template
from django.template.context import Context

from campaign.models import Campaign
from petition import counting, public
from petition.forms import SignForm

register = template.Library()


@register.simple_tag(takes_context=True)
def signature_panel(context: Context, campaign: Campaign) -> dict[str, object]:
    """What a campaign page shows of its signers: the count and its progress, the regional chart, recent signers,
    approved messages, and the sign form while the campaign accepts signatures (`{% signature_panel c as panel %}`)."""
    totals = counting.totals(campaign)
    return {
        "totals": totals,
        "target": counting.milestone(totals.count, campaign.signature_goal),
        "regions": public.region_rows(totals),
        "recent": public.recent_signatories(campaign),
        "messages": public.approved_messages(campaign),
        "form": SignForm(campaign=campaign) if campaign.is_accepting_signatures() else None,
    }
