from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaign.loading import content_files, load_campaign


class Command(BaseCommand):
    help = (
        "Load the campaign content shipped in campaign/content/ (or the given files). "
        "Existing campaigns are left as staff edited them unless --reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="TOML files to load (default: all shipped content).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Replace existing campaigns, their asks, facts and stories with the file's content.",
        )

    def handle(self, *paths: str, reset: bool, **options: Any) -> None:
        files: Sequence[str | Path] = paths or content_files()
        if not files:
            raise CommandError("No campaign content files found.")
        for path in files:
            try:
                loaded = load_campaign(path, reset=reset)
            except (OSError, KeyError, ValueError) as error:
                raise CommandError(f"Could not load {path}: {error}") from error
            self.stdout.write(f"{loaded.campaign.slug}: {loaded.action}")
