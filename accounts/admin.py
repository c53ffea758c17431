from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

# django-otp's own pages for devices would show each staff member's secret key to superusers. A lost phone is
# handled by `manage.py reset_second_factor`, and each person sets their own authenticator up at sign-in.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
