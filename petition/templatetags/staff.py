"""The admin home's links to the staff pages that are not model lists, each shown only to whoever may open it."""

from django import template
from django.template.context import Context

from campaign.models import Campaign
from petition.models import Signature

register = template.Library()


@register.inclusion_tag("admin/petition/staff_pages.html", takes_context=True)
def staff_pages(context: Context) -> dict[str, object]:
    user = context["request"].user
    queue = user.has_perm("petition.change_signature")
    exports = user.has_perm("petition.export_signatures")
    contacts = user.has_perm("petition.export_contacts")
    return {
        "overview": user.has_perm("petition.view_signature"),
        "queue": queue,
        "waiting": Signature.objects.awaiting_moderation().count() if queue else 0,
        "exports": exports,
        "contacts": contacts,
        "campaigns": list(Campaign.objects.public().order_by("-pk")) if exports or contacts else [],
    }
