from django.urls import path

from . import views

app_name = "petition"

urlpatterns = [
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
    path("c/<slug:slug>/updates/<int:pk>/", views.update_page, name="update"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
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
