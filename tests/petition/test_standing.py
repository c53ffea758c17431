"""Every change of a signature's standing, walked end to end: the count stays exact after each, and
what a withdrawal or an erasure removes is gone from every store (rows, outbox, delivery PDFs, caches, tasks)."""

import io
import pickle
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from django.db.models import Count, Sum
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from petition import delivery, emails, invalidations, retention, standing
from petition.models import (
    AuditEntry,
    DeliveryPack,
    Invalidation,
    OutgoingEmail,
    ResendRequest,
    Signature,
    SignatureCount,
)

from .conftest import sent_links


def assert_count_exact():
    """The counter rows add up, region by region, to the confirmed signatures."""
    counted = Counter(
        {
            (row["campaign_id"], row["region"]): row["n"]
            for row in SignatureCount.objects.values("campaign_id", "region").annotate(n=Sum("count"))
        }
    )
    confirmed = Counter(
        {
            (row["campaign_id"], row["region"]): row["n"]
            for row in Signature.objects.confirmed().values("campaign_id", "region").annotate(n=Count("pk"))
        }
    )
    assert +counted == +confirmed


def everything_stored():
    """Every place the site keeps anything, as text: rows, emails, PDFs, caches, task rows, the audit log."""
    parts = [repr(list(model.objects.values())) for model in (Signature, OutgoingEmail, ResendRequest, AuditEntry)]
    for pack in DeliveryPack.objects.exclude(pdf=b""):
        parts += [page.extract_text() for page in PdfReader(io.BytesIO(bytes(pack.pdf))).pages]
    parts.append(repr(list(DBTaskResult.objects.values("args_kwargs", "return_value", "exception_class_path"))))
    for cache in caches.all():
        # The test process's own in-memory caches, written by the site itself.
        parts += [repr(pickle.loads(value)) for value in getattr(cache, "_cache", {}).values()]  # noqa: S301
    return "\n".join(parts)


def assert_forgotten(*texts):
    stored = everything_stored()
    for text in texts:
        assert text not in stored


@pytest.fixture
def build_pack(settings, django_capture_on_commit_callbacks):
    """Build a delivery PDF as the worker would, and return it."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

    def build(campaign, user):
        with django_capture_on_commit_callbacks(execute=True):
            pack = delivery.request_pdf(campaign, user)
        pack.refresh_from_db()
        assert pack.status == DeliveryPack.Status.READY
        return pack

    return build


@pytest.fixture
def signer(campaign, sign, deliver_outbox, client, settings):
    """Sign (and confirm, unless told not to) as a named person with a message; return their signature."""
    settings.SIGN_LIMITS_PER_IP = [(1000, 60)]

    def make(first_name, email, *, confirm=True, **fields):
        sign(campaign, first_name=first_name, last_name="Walker", email=email, show_name="on", **fields)
        (message,) = [message for message in deliver_outbox() if message.to == [email]]
        if confirm:
            client.post(urlsplit(sent_links(message)[0]).path)
        return Signature.objects.get(email=email)

    return make


@pytest.mark.slow
def test_every_transition_keeps_the_count_exact_and_forgets_what_it_removes(
    campaign, signer, sign, client, moderator, build_pack, deliver_outbox, settings
):
    user = moderator.user
    settings.PAGE_CACHE_SECONDS = settings.COUNT_CACHE_SECONDS = 60  # caches that would outlive a careless change
    asha = signer("Ashaleigh", "asha@example.org", postcode="EH1 1YZ", message="Please act for children")
    ben = signer("Benedikt", "ben@example.org")
    cara = signer("Caradoc", "cara@gmail.com", confirm=False)
    assert_count_exact()

    # Signing again, and asking for the email again, change no standing.
    sign(campaign, first_name="Someone", email="Cara+x@googlemail.com")
    client.post(f"/c/{campaign.slug}/resend/", {"email": "asha@example.org"}, REMOTE_ADDR="203.0.113.8")
    deliver_outbox()
    assert Signature.objects.count() == 3 and not ResendRequest.objects.exists()
    assert_count_exact()

    # Messages are approved and hidden.
    standing.set_message_status(Signature.objects.filter(pk=asha.pk), "approved", user=user)
    assert "Please act for children" in client.get(campaign.get_absolute_url()).content.decode()
    standing.set_message_status(Signature.objects.filter(pk=asha.pk), "hidden", user=user)
    assert "Please act for children" not in client.get(campaign.get_absolute_url()).content.decode()
    assert_count_exact()

    # One signature invalidated and restored, then a bulk invalidation run and reverted.
    standing.invalidate(Signature.objects.filter(pk=ben.pk), reason="spam", user=user)
    assert_count_exact()
    standing.restore(Signature.objects.filter(pk=ben.pk), user=user)
    assert_count_exact()
    bulk = Invalidation.objects.create(campaign=campaign, reason="fake", email_domain="example.org", created_by=user)
    invalidations.start(bulk, user=user)
    invalidations.run(bulk.pk)
    assert Signature.objects.confirmed().count() == 0
    assert_count_exact()
    invalidations.revert(bulk, user=user)
    assert Signature.objects.confirmed().count() == 2
    assert_count_exact()

    # The signer withdraws: everything they gave is gone at once, from every store.
    client.get(campaign.get_absolute_url())  # the public lists, cached with Benedikt in them
    build_pack(campaign, user)  # a delivery PDF naming him
    client.post(f"/c/{campaign.slug}/resend/", {"email": "ben@example.org"}, REMOTE_ADDR="203.0.113.9")
    assert "Benedikt Walker" in everything_stored() and ResendRequest.objects.exists()
    client.post(f"/c/{campaign.slug}/withdraw/{ben.token}/")
    assert_count_exact()
    assert_forgotten("Benedikt", "ben@example.org", ben.token)

    # A pending signer withdraws too.
    client.post(f"/c/{campaign.slug}/withdraw/{cara.token}/")
    assert_count_exact()
    assert_forgotten("Caradoc", "cara@gmail.com", "cara@googlemail.com")

    # A moderator erases a signer's data: the count stands, the person is gone.
    client.get(campaign.get_absolute_url())
    build_pack(campaign, user)
    standing.erase(Signature.objects.filter(pk=asha.pk), user=user, note="asked by email")
    assert_count_exact()
    assert Signature.objects.confirmed().count() == 1
    assert_forgotten("Ashaleigh", "asha@example.org", "Please act for children", "EH1 1YZ", asha.token)
    assert client.post(f"/c/{campaign.slug}/withdraw/{asha.token}/").status_code == 404

    # Retention anonymises what is left once the campaign is long over.
    dora = signer("Dorothea", "dora@example.org", postcode="CF10 1AA")
    build_pack(campaign, user)
    campaign.status, campaign.delivered_at = "delivered", timezone.now() - timedelta(days=settings.RETENTION_DAYS + 1)
    campaign.save()
    retention.anonymise(campaign)
    assert_count_exact()
    assert Signature.objects.confirmed().count() == 2
    assert_forgotten("Dorothea", "dora@example.org", "CF10 1AA", dora.token)


@pytest.mark.slow
def test_a_withdrawal_leaves_a_pack_built_before_the_signer_confirmed(campaign, signer, moderator, build_pack):
    early = build_pack(campaign, moderator.user)
    late = signer("Benedikt", "ben@example.org")

    standing.withdraw(late)

    assert DeliveryPack.objects.filter(pk=early.pk).exists()


def test_the_worker_sends_nothing_to_a_signature_withdrawn_before_its_email_went(campaign, sign, deliver_outbox):
    sign(campaign, email="ben@example.org")
    standing.withdraw(Signature.objects.get())

    assert deliver_outbox() == []
    assert not OutgoingEmail.objects.exists()
    assert emails.send_due() == 0
