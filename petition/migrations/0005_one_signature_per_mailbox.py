"""One signature per mailbox, opaque links, and what the database now insists on.

Signatures become unique on the inbox their address delivers to (petition.mailboxes)
rather than on the address as typed, so spellings of one inbox that signed separately
are folded here: of each group the earliest confirmed signature stays (or, if none was
confirmed, the earliest); the rest are invalidated as duplicates, and their copy of the
person's data erased, since the one that stays holds it. Counts are corrected and the
folding is written to the audit log. Each signature gets a random token for its links.
"""

import secrets
from collections import Counter, defaultdict

from django.db import migrations, models
from django.db.models import Count, F, Q
from django.utils import timezone

import petition.models
from petition.mailboxes import mailbox

BATCH = 2000
# petition.standing.ANONYMOUS as it stands when this migration is written: a migration keeps its own copy,
# because the model (and so that rule) will change after it.
ANONYMOUS = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "mailbox": "",
    "email_domain": "",
    "postcode": "",
    "show_name": False,
    "contact_opt_in": False,
    "message": "",
    "message_status": "",
    "ip_hash": "",
    "token": None,
}


def mailboxes_and_tokens(apps, schema_editor):
    Signature = apps.get_model("petition", "Signature")
    batch = []
    for signature in Signature.objects.filter(erased_at__isnull=True).only("pk", "email").iterator(chunk_size=BATCH):
        signature.mailbox = mailbox(signature.email)
        signature.token = secrets.token_urlsafe(16)
        batch.append(signature)
        if len(batch) == BATCH:
            Signature.objects.bulk_update(batch, ["mailbox", "token"])
            batch = []
    Signature.objects.bulk_update(batch, ["mailbox", "token"])


def fold_duplicates(apps, schema_editor):
    Signature = apps.get_model("petition", "Signature")
    SignatureCount = apps.get_model("petition", "SignatureCount")
    OutgoingEmail = apps.get_model("petition", "OutgoingEmail")
    AuditEntry = apps.get_model("petition", "AuditEntry")
    now = timezone.now()
    live = Signature.objects.filter(erased_at__isnull=True)
    groups = live.values("campaign_id", "mailbox").annotate(n=Count("pk")).filter(n__gt=1)
    folded = defaultdict(list)
    uncounted = Counter()
    for group in groups.iterator():
        rows = list(
            live.filter(campaign_id=group["campaign_id"], mailbox=group["mailbox"])
            .annotate(counted=Q(status="confirmed"))
            .order_by("-counted", F("confirmed_at").asc(nulls_last=True), "pk")
            .values_list("pk", "status", "region")
        )
        for pk, status, region in rows[1:]:
            folded[group["campaign_id"]].append(pk)
            if status == "confirmed":
                uncounted[group["campaign_id"], region] += 1
    for campaign_id, pks in folded.items():
        OutgoingEmail.objects.filter(signature__in=pks, status="pending").update(status="cancelled")
        Signature.objects.filter(pk__in=pks).exclude(status="invalidated").update(
            status="invalidated", invalidated_at=now, invalidation_reason="duplicate"
        )
        Signature.objects.filter(pk__in=pks).update(**ANONYMOUS, erased_at=now)
        AuditEntry.objects.create(
            username="(automatic)",
            action="invalidate",
            campaign_id=campaign_id,
            count=len(pks),
            reason="Duplicate of another signature. One signature per mailbox: spellings of one inbox folded.",
            details={"signatures": pks[:100], "migration": "petition.0005"},
        )
    for (campaign_id, region), n in uncounted.items():
        shard, _ = SignatureCount.objects.get_or_create(campaign_id=campaign_id, region=region, shard=0)
        SignatureCount.objects.filter(pk=shard.pk).update(count=F("count") - n)


def check_constraints_now(apps, schema_editor):
    """PostgreSQL cannot alter a table with constraint checks still pending from the rows just changed."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0002_closed_has_date"),
        ("petition", "0004_attack_lookup_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="signature", name="signature_one_per_email"),
        migrations.AddField(
            model_name="signature",
            name="mailbox",
            field=models.CharField(default="", max_length=254),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="signature",
            name="token",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(mailboxes_and_tokens, migrations.RunPython.noop),
        migrations.RunPython(fold_duplicates, migrations.RunPython.noop),
        migrations.RunPython(check_constraints_now, check_constraints_now),
        migrations.RemoveField(model_name="signature", name="email_normalised"),
        migrations.RemoveField(model_name="signature", name="email_canonical"),
        migrations.AlterField(
            model_name="signature",
            name="token",
            field=models.CharField(
                default=petition.models.new_token,
                editable=False,
                max_length=32,
                null=True,
                unique=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.UniqueConstraint(
                condition=models.Q(("erased_at__isnull", True)),
                fields=("mailbox", "campaign"),
                name="signature_one_per_mailbox",
            ),
        ),
    ]
