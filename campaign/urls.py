from django.urls import path
from django.views.generic import TemplateView

from . import PRIVACY_NOTICE_VERSION, views

app_name = "campaign"

urlpatterns = [
    path("", views.front_page, name="front_page"),
    path("c/<slug:slug>/", views.campaign_detail, name="detail"),
    path(
        "privacy/",
        TemplateView.as_view(template_name="campaign/privacy.html", extra_context={"version": PRIVACY_NOTICE_VERSION}),
        name="privacy",
    ),
    path("favicon.ico", views.favicon),
    path("robots.txt", TemplateView.as_view(template_name="robots.txt", content_type="text/plain")),
]
