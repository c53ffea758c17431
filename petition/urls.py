from django.conf.urls.i18n import i18n_patterns
from django.urls import URLResolver, path
from django.urls.resolvers import RoutePattern

from . import views

app_name = "petition"

# The pages a supporter sees: in English at /…, and in Welsh at /cy/… (petition.languages).
supporter_urlpatterns = [
    path("", views.front_page, name="front_page"),
    path("c/<slug:slug>/", views.campaign_page, name="campaign"),
    path("c/<slug:slug>/sign/", views.sign, name="sign"),
    path("c/<slug:slug>/check-your-email/", views.check_email, name="check_email"),
    path("c/<slug:slug>/embed/", views.embed, name="embed"),
    path("c/<slug:slug>/embed/check-your-email/", views.embed_check_email, name="embed_check_email"),
    path("c/<slug:slug>/resend/", views.resend, name="resend"),
    path("c/<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("c/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("c/<slug:slug>/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("privacy/", views.privacy, name="privacy"),
    path("c/<slug:slug>/privacy/", views.privacy, name="campaign_privacy"),
    path("c/<slug:slug>/card.png", views.share_card, name="share_card"),
    path("c/<slug:slug>/updates/<int:pk>/", views.update_page, name="update"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

urlpatterns = [
    # Django refuses i18n_patterns() directly in an app's URLconf because its LocaleMiddleware looks for them
    # only at the root; that middleware is not used (petition.languages activates the language from the
    # address), and here they keep every page in the one "petition" namespace.
    URLResolver(RoutePattern(""), i18n_patterns(*supporter_urlpatterns, prefix_default_language=False)),
    # The same in every language: the count's JSON and badge for other sites, and the staff pages.
    path("api/campaigns/<slug:slug>.json", views.campaign_json, name="campaign_json"),
    path("c/<slug:slug>/badge.svg", views.campaign_badge, name="badge"),
    path("staff/c/<slug:slug>/export/", views.export_signatures, name="export"),
    path("staff/c/<slug:slug>/contacts/", views.export_contacts, name="export_contacts"),
    path("staff/c/<slug:slug>/delivery/", views.deliver, name="deliver"),
    path("staff/c/<slug:slug>/delivery/print/", views.delivery_pack, name="delivery_pack"),
    path("staff/c/<slug:slug>/delivery/<int:pk>.pdf", views.delivery_pack_pdf, name="delivery_pack_pdf"),
    path("staff/updates/<int:update_id>/", views.update_staff_page, name="update_staff"),
    path("staff/updates/<int:update_id>/test/", views.send_update_test, name="update_test"),
    path("staff/updates/<int:update_id>/send/", views.send_update, name="update_send"),
    path("staff/updates/<int:update_id>/cancel/", views.cancel_update, name="update_cancel"),
]
