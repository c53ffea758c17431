"""Every change of a signature's standing, and everything that follows from it, written once.

A signature is pending until its signer confirms it; confirmed ones count,
unless it was held for review when it was made (petition.holding): a held
signature is confirmed as any other but counts only once staff release it. Its
signer can withdraw it (it is deleted); staff can invalidate it (it leaves the
count) and restore it (to the standing it had, held or not); staff, or
retention, can erase the person's data (the row stays, anonymous, so every
count can be recomputed); staff approve or hide its message, and release it
from review. Each transition changes rows only from the states it starts from
and then, in the same transaction:

- moves the count (this module is the only caller of `counting.add` and `counting.add_one_for`);
- cancels the emails nobody should get any more;
- discards stored delivery PDFs that hold a name no longer to be delivered;
- drops the cached public lists (recent signers, messages) that could show it;
- writes the audit entry, for what staff and the site itself do.

Made-up demo signatures (petition.demo) arrive and leave here too, in bulk,
so that the count always matches the rows, demo ones included.

Nothing else changes a signature's status or personal data, or the counter rows.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from config import postgres

from . import audit, counting, public
from .models import AuditEntry, DeliveryPack, OutgoingEmail, ResendRequest, Signature, SignatureQuerySet

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from django.contrib.auth.models import User as StaffUser
    from django.db.models import QuerySet

    from campaign.models import Campaign

    from .models import Invalidation

    User = StaffUser | None


class Row(NamedTuple):
    pk: int
    campaign_id: int
    region: str
    status: str
    confirmed_at: datetime | None
    mailbox: str
    held_at: datetime | None

    @property
    def counted(self) -> bool:
        return self.status == Signature.Status.CONFIRMED and self.held_at is None


# What a signature keeps once its signer's personal data is erased: its campaign, region, country,
# status and times, so that every count can still be recomputed, and nothing that says who signed.
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
    "message_status": Signature.MessageStatus.NONE,
    "ip_hash": "",
    "token": None,
}


def confirm(signature: Signature) -> bool:
    """Confirm a pending signature, and count it unless it is held for review. Returns True if this call confirmed it.

    The row decides, not the object passed in: staff may have released it since it was read.
    """
    if connection.vendor == "postgresql":
        return _confirm_in_one_statement(signature)
    pending = Signature.objects.filter(pk=signature.pk, status=Signature.Status.PENDING)
    confirmed = {"status": Signature.Status.CONFIRMED, "confirmed_at": timezone.now()}
    with transaction.atomic():
        # The usual case, in one statement: a signature not held.
        if pending.filter(held_at__isnull=True).update(**confirmed):
            counting.add(signature.campaign_id, signature.region, 1)
            return True
        if not pending.update(**confirmed):
            return False
        # Held: confirmed, not counted; unless a release committed between the two statements (the row is
        # locked now, so whichever release comes next sees it confirmed and counts it itself).
        if Signature.objects.filter(pk=signature.pk, held_at__isnull=True).exists():
            counting.add(signature.campaign_id, signature.region, 1)
    return True


def _confirm_in_one_statement(signature: Signature) -> bool:
    """`confirm` as one statement, and so one round trip and its own transaction: the hot path of a surge's
    confirmations. The UPDATE reads the row as it stands once it holds its lock, so a release committed before it
    leaves it counted here, and one committed after it finds it confirmed and counts it itself."""
    add_one, add_params = counting.add_one_for("confirmed WHERE counts")
    params: list[Any] = [Signature.Status.CONFIRMED.value, timezone.now(), signature.pk, Signature.Status.PENDING.value]
    with connection.cursor() as cursor:
        cursor.execute(_confirm_statement(add_one), [*params, *add_params])
        (confirmed,) = cursor.fetchone()
    return bool(confirmed)


@functools.cache
def _confirm_statement(add_one: str) -> str:
    """`_confirm_in_one_statement`'s statement, with `add_one` (the count's part), made once per process."""
    quote = connection.ops.quote_name
    return postgres.keep_prepared(
        f"WITH confirmed AS (UPDATE {quote(Signature._meta.db_table)} "  # noqa: S608
        f"SET {quote('status')} = %s, {quote('confirmed_at')} = %s "
        f"WHERE {quote('id')} = %s AND {quote('status')} = %s "
        f"RETURNING {quote('campaign_id')}, {quote('region')}, {quote('held_at')} IS NULL AS counts), "
        f"counted AS ({add_one}) "
        "SELECT count(*) FROM confirmed"
    )


@transaction.atomic
def withdraw(signature: Signature) -> bool:
    """The signer takes their signature back: it is deleted with everything they gave, wherever it is."""
    rows = _locked(Signature.objects.filter(pk=signature.pk))
    if not rows:
        return False
    # Its emails go with it (on_delete=CASCADE).
    Signature.objects.filter(pk=signature.pk).delete()
    _drop_resend_requests(rows)
    _no_longer_counted(rows)
    return True


@transaction.atomic
def invalidate(
    signatures: QuerySet[Signature],
    *,
    reason: str,
    user: User,
    note: str = "",
    invalidation: Invalidation | None = None,
) -> int:
    """Invalidate the signatures not invalid already; confirmed ones leave the count. Returns how many changed.

    `invalidation` is the bulk invalidation doing it, recorded on each row so that it can be reverted as one.
    """
    rows = _locked(signatures.exclude(status=Signature.Status.INVALIDATED))
    ids = [row.pk for row in rows]
    Signature.objects.filter(pk__in=ids).update(
        status=Signature.Status.INVALIDATED,
        invalidated_at=timezone.now(),
        invalidation_reason=reason,
        invalidation=invalidation,
    )
    _cancel_emails(ids)
    _no_longer_counted(rows)
    label = Signature.InvalidationReason(reason).label
    _audit(user, AuditEntry.Action.INVALIDATE, rows, reason=f"{label}. {note}".strip(), invalidation=invalidation)
    return len(rows)


@transaction.atomic
def restore(
    signatures: QuerySet[Signature], *, user: User, note: str = "", invalidation: Invalidation | None = None
) -> int:
    """Undo invalidation: confirmed ones rejoin the count, the rest wait for confirmation again."""
    rows = _locked(signatures.filter(status=Signature.Status.INVALIDATED, erased_at__isnull=True))
    ids = [row.pk for row in rows]
    clear = {"invalidated_at": None, "invalidation_reason": "", "invalidation": None}
    Signature.objects.filter(pk__in=ids, confirmed_at__isnull=False).update(status=Signature.Status.CONFIRMED, **clear)
    Signature.objects.filter(pk__in=ids, confirmed_at__isnull=True).update(status=Signature.Status.PENDING, **clear)
    # One held when it was invalidated goes back to being held: it counts only once released.
    _move_counts([row for row in rows if row.confirmed_at is not None and row.held_at is None], +1)
    public.forget({row.campaign_id for row in rows})
    _audit(user, AuditEntry.Action.RESTORE, rows, reason=note, invalidation=invalidation)
    return len(rows)


@transaction.atomic
def release(signatures: QuerySet[Signature], *, user: User, note: str = "") -> int:
    """Staff accept held signatures: confirmed ones count from now, pending ones once their signer confirms.

    Invalidated ones are left alone (restoring one returns it to review). Returns how many were released.
    """
    rows = _locked(signatures & Signature.objects.held())
    Signature.objects.filter(pk__in=[row.pk for row in rows]).update(held_at=None, held_reason="")
    _move_counts([row for row in rows if row.status == Signature.Status.CONFIRMED], +1)
    public.forget({row.campaign_id for row in rows})
    _audit(user, AuditEntry.Action.RELEASE, rows, reason=note)
    return len(rows)


@transaction.atomic
def erase(signatures: QuerySet[Signature], *, user: User, note: str = "") -> int:
    """Remove signers' personal data (the right to erasure, and retention), keeping what the counts need.

    A confirmed or invalidated signature stays as an anonymous row with its
    region (and, if held, still held), and the count is unchanged; a pending
    one, never counted, is deleted with its emails.
    """
    rows = _locked(signatures.filter(erased_at__isnull=True))
    pending = [row.pk for row in rows if row.status == Signature.Status.PENDING]
    kept = [row.pk for row in rows if row.status != Signature.Status.PENDING]
    Signature.objects.filter(pk__in=pending).delete()
    Signature.objects.filter(pk__in=kept).update(**ANONYMOUS, erased_at=timezone.now())
    _cancel_emails(kept)
    _drop_resend_requests(rows)
    _discard_delivery_packs([row for row in rows if row.confirmed_at is not None and row.held_at is None])
    public.forget({row.campaign_id for row in rows})
    _audit(user, AuditEntry.Action.ERASE, rows, reason=note)
    return len(rows)


@transaction.atomic
def set_message_status(signatures: QuerySet[Signature], status: str, *, user: User, note: str = "") -> int:
    """Approve or hide signers' messages to the minister. Returns how many changed."""
    rows = _locked(signatures.exclude(message="").exclude(message_status=status))
    Signature.objects.filter(pk__in=[row.pk for row in rows]).update(message_status=status)
    public.forget({row.campaign_id for row in rows})
    approved = status == Signature.MessageStatus.APPROVED
    action = AuditEntry.Action.APPROVE_MESSAGE if approved else AuditEntry.Action.HIDE_MESSAGE
    _audit(user, action, rows, reason=note)
    return len(rows)


# Rows per INSERT statement when storing demo signatures, and per DELETE when removing them.
DEMO_BATCH = 1000


@transaction.atomic
def add_demo(campaign: Campaign, batches: Iterable[Sequence[Signature]], *, note: str = "") -> Counter[str]:
    """Store made-up signatures on a campaign, marked as demo, a batch at a time; confirmed ones join the count.

    Returns how many were stored in each status. Demo signatures never reach the recipient of the letter
    (`SignatureQuerySet.real`), and `remove_demo` takes them away again.
    """
    statuses: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    for batch in batches:
        for signature in batch:
            if signature.campaign_id != campaign.pk or not signature._state.adding:
                raise ValueError("Demo signatures are new rows on the campaign being filled")
            signature.is_demo = True
        Signature.objects.bulk_create(batch, batch_size=DEMO_BATCH)
        statuses.update(signature.status for signature in batch)
        counted.update(signature.region for signature in batch if signature.status == Signature.Status.CONFIRMED)
    for region, n in counted.items():
        counting.add(campaign.pk, region, n)
    public.forget({campaign.pk})
    audit.record(
        None, AuditEntry.Action.ADD_DEMO, statuses.total(), reason=note, campaign=campaign, statuses=dict(statuses)
    )
    return statuses


@transaction.atomic
def remove_demo(signatures: SignatureQuerySet, *, note: str = "") -> int:
    """Delete the demo signatures among these (never a real one) with their emails; counted ones leave the count.

    No delivery PDF needs discarding: none ever names a demo signer.
    """
    rows = _locked(signatures.demo())
    for batch in itertools.batched([row.pk for row in rows], DEMO_BATCH):
        # A statement each, emails first: QuerySet.delete() would load every signature to find its emails,
        # which takes three times as long for a hundred thousand.
        OutgoingEmail.objects.filter(signature__in=batch).delete()
        Signature.objects.filter(pk__in=batch)._raw_delete(Signature.objects.db)
    _drop_resend_requests(rows)
    _move_counts([row for row in rows if row.status == Signature.Status.CONFIRMED], -1)
    campaigns = Counter(row.campaign_id for row in rows)
    public.forget(set(campaigns))
    for campaign_id, n in sorted(campaigns.items()):
        audit.record(None, AuditEntry.Action.REMOVE_DEMO, n, reason=note, campaign=campaign_id)
    return len(rows)


def _locked(signatures: QuerySet[Signature]) -> list[Row]:
    """The rows about to change, locked until the transaction ends, so that no two transitions cross."""
    fields = ("pk", "campaign_id", "region", "status", "confirmed_at", "mailbox", "held_at")
    return [Row(*values) for values in signatures.order_by("pk").select_for_update().values_list(*fields)]


def _no_longer_counted(rows: list[Row]) -> None:
    """What follows when signatures stop counting: the count, the delivery PDFs naming them, the public lists."""
    counted = [row for row in rows if row.counted]
    _move_counts(counted, -1)
    _discard_delivery_packs(counted)
    public.forget({row.campaign_id for row in rows})


def _move_counts(rows: list[Row], sign: int) -> None:
    for (campaign_id, region), n in Counter((row.campaign_id, row.region) for row in rows).items():
        counting.add(campaign_id, region, sign * n)


def _cancel_emails(ids: list[int]) -> None:
    """Nothing more goes to a signature that is invalid or erased."""
    OutgoingEmail.objects.filter(signature__in=ids, status=OutgoingEmail.Status.PENDING).update(
        status=OutgoingEmail.Status.CANCELLED
    )


def _drop_resend_requests(rows: list[Row]) -> None:
    """Forget requests for the email again that name these signers' mailboxes.

    The worker answers requests within seconds, so few ever wait: read them all rather than
    send the database a list of every mailbox erased (retention erases a whole campaign).
    """
    mailboxes = {(row.campaign_id, row.mailbox) for row in rows}
    waiting = ResendRequest.objects.filter(campaign_id__in={campaign_id for campaign_id, _ in mailboxes})
    doomed = [pk for pk, *request in waiting.values_list("pk", "campaign_id", "mailbox") if tuple(request) in mailboxes]
    ResendRequest.objects.filter(pk__in=doomed).delete()


def _discard_delivery_packs(confirmed: list[Row]) -> None:
    """Delete the stored PDFs that may name these signers: all but those finished before the first of them confirmed."""
    since: dict[int, datetime] = {}
    for row in confirmed:
        if row.confirmed_at is not None:
            since[row.campaign_id] = min(since.get(row.campaign_id, row.confirmed_at), row.confirmed_at)
    for campaign_id, confirmed_at in since.items():
        # A pack still being built (no finished_at) reads its names as it goes: it goes too.
        DeliveryPack.objects.filter(campaign_id=campaign_id).exclude(finished_at__lt=confirmed_at).delete()


def _audit(
    user: User, action: str, rows: list[Row], *, reason: str = "", invalidation: Invalidation | None = None
) -> None:
    campaigns = {row.campaign_id for row in rows}
    details: dict[str, object] = {"signatures": [row.pk for row in rows[: audit.TRACED]]}
    if invalidation is not None:
        details["invalidation"] = invalidation.pk
    campaign = campaigns.pop() if len(campaigns) == 1 else None
    audit.record(user, action, len(rows), reason=reason, campaign=campaign, **details)
