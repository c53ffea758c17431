from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from campaign.models import Campaign
from config import postgres
from petition.models import Signature

_campaign_id = None


def _kept_prepared(execute, sql, params, many, context):
    """The floor's INSERT kept prepared on PostgreSQL as signing's statement is (config.postgres): a like floor."""
    return execute(postgres.keep_prepared(sql), params, many, context)


@csrf_exempt
def floor(request):
    """The floor: the same signature row, inserted with nothing else (no form, checks, limits or email)."""
    global _campaign_id
    if _campaign_id is None:
        _campaign_id = Campaign.objects.values_list("pk", flat=True).get(slug="online-safety-bill")
    email = request.POST["email"]
    with connection.execute_wrapper(_kept_prepared):
        Signature.objects.create(
            campaign_id=_campaign_id,
            first_name="Floor",
            last_name="Bench",
            email=email,
            mailbox=email,
            email_domain="floor.example",
            postcode="BN1 1AA",
            region="south-east",
            consent_version="bench",
            created_at=timezone.now(),
        )
    return HttpResponse(status=302, headers={"Location": "/c/online-safety-bill/check-your-email/"})


def hello(request):
    """The read floor: a response with no database, template or cache, through the same middleware."""
    return HttpResponse("Hello", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor),
    path("bench/hello/", hello),
    path("", include("config.urls")),
]


handler500 = "config.views.error_500"
