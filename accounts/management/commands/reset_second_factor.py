from argparse import ArgumentParser

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from accounts import second_factor


class Command(BaseCommand):
    help = (
        "Forget a staff member's authenticator app and recovery codes (a lost phone) and end their sessions; "
        "they set a new one up at their next sign-in. Recorded in the user's history in the admin."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="the account whose second factor is lost")
        parser.add_argument("--by", required=True, help="your own username, for the record (a superuser)")

    def handle(self, *args: object, username: str, by: str, **options: object) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"There is no account called {username!r}.") from None
        actor = User.objects.filter(username=by, is_superuser=True, is_active=True).first()
        if actor is None:
            raise CommandError(f"--by must name an active superuser; {by!r} is not one.")
        ended = second_factor.reset(user, by=actor)
        self.stdout.write(
            f"Reset the second factor of {username} ({ended} session{'s' if ended != 1 else ''} ended). "
            "They will set up a new authenticator at their next sign-in."
        )
