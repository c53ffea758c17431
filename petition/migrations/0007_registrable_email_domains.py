"""Signatures keep the registrable domain of their address (example.co.uk for mail.example.co.uk)."""

from django.db import migrations, models

from petition.domains import registrable

BATCH = 2000


def registrable_domains(apps, schema_editor):
    Signature = apps.get_model("petition", "Signature")
    batch = []
    signatures = Signature.objects.filter(erased_at__isnull=True).only("pk", "email", "email_domain")
    for signature in signatures.iterator(chunk_size=BATCH):
        domain = registrable(signature.email.rpartition("@")[2].lower())
        if domain != signature.email_domain:
            signature.email_domain = domain
            batch.append(signature)
        if len(batch) == BATCH:
            Signature.objects.bulk_update(batch, ["email_domain"])
            batch = []
    Signature.objects.bulk_update(batch, ["email_domain"])


class Migration(migrations.Migration):
    dependencies = [
        ("petition", "0006_resend_requests_and_constraints"),
    ]

    operations = [
        migrations.AlterField(
            model_name="invalidation",
            name="email_domain",
            field=models.CharField(blank=True, help_text="e.g. spam.example: its subdomains are included.", max_length=253),
        ),
        migrations.RunPython(registrable_domains, migrations.RunPython.noop),
    ]
