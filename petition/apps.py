from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class PetitionConfig(AppConfig):
    name = "petition"
    verbose_name = "Signatures"

    def ready(self) -> None:
        from anymail.signals import tracking

        from campaign.models import Campaign

        from . import public, roles, suppression

        # After auth's own receiver has made the permissions the roles are granted.
        post_migrate.connect(roles.grant_roles, sender=self, dispatch_uid="petition.grant_roles")
        tracking.connect(suppression.record_email_event, dispatch_uid="petition.record_email_event")
        # An edited campaign (closed, say) is read afresh by this process at once; by the others within
        # CAMPAIGN_CACHE_SECONDS.
        post_save.connect(public.forget_copies, sender=Campaign, dispatch_uid="petition.forget_campaign_copies")
