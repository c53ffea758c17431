from django.urls import path

from . import views

app_name = "accounts"

# Under admin/ (see config/urls.py), before the admin's own addresses.
urlpatterns = [
    path("", views.verify, name="verify"),
    path("set-up/", views.setup, name="setup"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
]
