from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Open letter administration"
admin.site.site_title = "Open letter admin"

urlpatterns = [
    # The supporters' pages first: a surge's signing and confirming are tried against them before anything else.
    path("", include("petition.urls")),
    path("admin/second-factor/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("campaign.urls")),
]
if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    # The email provider's bounces and complaints (petition.suppression), only when a provider is configured.
    urlpatterns.append(path("anymail/", include("anymail.urls")))

handler403 = "config.views.error_403"
handler500 = "config.views.error_500"
