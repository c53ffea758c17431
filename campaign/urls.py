from django.urls import path
from django.views.generic import TemplateView

from . import views

app_name = "campaign"

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("robots.txt", TemplateView.as_view(template_name="robots.txt", content_type="text/plain")),
]
