from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from . import lockouts

        user_login_failed.connect(lockouts.count_failure, dispatch_uid="accounts.count_failure")
