"""The channel a signature came through (`?s=`), and visits through shared links counted per hour."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0002_closed_has_date"),
        ("petition", "0011_signature_is_demo"),
    ]

    operations = [
        migrations.CreateModel(
            name="VisitCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("", "No channel (direct)"),
                            ("whatsapp", "WhatsApp"),
                            ("email", "Email"),
                            ("facebook", "Facebook"),
                            ("x", "X (Twitter)"),
                            ("bluesky", "Bluesky"),
                            ("link", "Copied link"),
                            ("share", "Phone's share menu"),
                        ],
                        max_length=10,
                    ),
                ),
                ("hour", models.DateTimeField(help_text="The start of the hour (UTC).")),
                ("count", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="signature",
            name="source",
            field=models.CharField(
                blank=True,
                db_default="",
                choices=[
                    ("", "No channel (direct)"),
                    ("whatsapp", "WhatsApp"),
                    ("email", "Email"),
                    ("facebook", "Facebook"),
                    ("x", "X (Twitter)"),
                    ("bluesky", "Bluesky"),
                    ("link", "Copied link"),
                    ("share", "Phone's share menu"),
                ],
                default="",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("source__in", ["", "whatsapp", "email", "facebook", "x", "bluesky", "link", "share"])
                ),
                name="signature_source_known",
            ),
        ),
        migrations.AddField(
            model_name="visitcount",
            name="campaign",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="campaign.campaign"
            ),
        ),
        migrations.AddConstraint(
            model_name="visitcount",
            constraint=models.UniqueConstraint(fields=("campaign", "hour", "source"), name="visitcount_one_per_hour"),
        ),
        migrations.AddConstraint(
            model_name="visitcount",
            constraint=models.CheckConstraint(
                condition=models.Q(("source__in", ["whatsapp", "email", "facebook", "x", "bluesky", "link", "share"])),
                name="visitcount_source_known",
            ),
        ),
    ]
