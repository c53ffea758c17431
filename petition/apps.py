from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PetitionConfig(AppConfig):
    name = "petition"
    verbose_name = "Signatures"

    def ready(self) -> None:
        from anymail.signals import tracking

        from . import roles, suppression

        # After auth's own receiver has made the permissions the roles are granted.
        post_migrate.connect(roles.grant_roles, sender=self, dispatch_uid="petition.grant_roles")
        tracking.connect(suppression.record_email_event, dispatch_uid="petition.record_email_event")
