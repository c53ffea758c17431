from django.apps import AppConfig


class PetitionConfig(AppConfig):
    name = "petition"
    verbose_name = "Signatures"
