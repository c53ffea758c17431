from urllib.parse import urlsplit

import pytest
from django.test import Client

from petition import counting, standing
from petition.models import OutgoingEmail, Signature

from .conftest import sent_links, simultaneously, without_receipts


@pytest.mark.parametrize(
    "again",
    [
        "asha.patel@example.org",
        "ASHA.PATEL@EXAMPLE.ORG",
        "  Asha.Patel@Example.org  ",
        "asha.patel@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org",
    ],
)
def test_signing_again_with_the_same_address_makes_no_second_signature(campaign, sign, client, again):
    first = sign(campaign, email="asha.patel@example.org")
    second = sign(campaign, email=again, first_name="Someone", postcode="SW1A 1AA")

    assert Signature.objects.count() == 1
    assert Signature.objects.get().first_name == "Asha"
    assert second.status_code == first.status_code == 302
    # Each signing has its own receipt, and both lead to the same page showing the same inbox.
    assert without_receipts(second.headers["Location"]) == without_receipts(first.headers["Location"])
    first_page, second_page = (
        client.get(response.headers["Location"]).content.decode() for response in (first, second)
    )
    assert "asha.patel@example.org" in first_page
    assert without_receipts(second_page) == without_receipts(first_page)


def test_a_pending_repeat_signer_is_sent_the_confirmation_again(campaign, sign, deliver_outbox):
    sign(campaign)
    sign(campaign)

    messages = deliver_outbox()

    assert [message.subject for message in messages] == ["Please confirm your signature: Keep children safe online"] * 2
    assert list(OutgoingEmail.objects.values_list("kind", flat=True)) == ["confirm", "confirm"]


def test_a_confirmed_repeat_signer_is_told_they_have_already_signed(campaign, sign, confirmed, deliver_outbox):
    confirmed(campaign)

    sign(campaign)

    (message,) = deliver_outbox()
    assert message.subject == "You have already signed: Keep children safe online"
    assert "/withdraw/" in message.body
    assert "/confirm/" not in message.body


def test_an_invalidated_repeat_signer_is_sent_nothing(campaign, sign, confirmed, deliver_outbox):
    signature = confirmed(campaign)
    standing.invalidate(Signature.objects.filter(pk=signature.pk), reason="spam", user=None)

    sign(campaign)

    assert deliver_outbox() == []
    assert OutgoingEmail.objects.filter(status="pending").count() == 0


def test_repeat_signing_sends_at_most_a_few_emails_an_hour(campaign, sign, settings, deliver_outbox):
    settings.EMAILS_PER_SIGNATURE_PER_HOUR = 3
    settings.SIGN_LIMITS_PER_MAILBOX = [(100, 3600)]  # the cap on emails, not on attempts, is tested here

    for _ in range(6):
        assert sign(campaign).status_code == 302
        deliver_outbox()

    assert OutgoingEmail.objects.filter(status="sent").count() == 3
    assert OutgoingEmail.objects.filter(status="cancelled").count() == 3


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("asha.patel@gmail.com", "ashapatel@gmail.com"),
        ("asha.patel@gmail.com", "Asha.Patel+letter@googlemail.com"),
        ("a.s.h.a.patel@googlemail.com", "ASHAPATEL@gmail.com"),
        ("asha@example.org", "asha+petition@example.org"),
        ("asha+one@example.org", "asha+two@EXAMPLE.org"),
        ("asha@icloud.com", "asha@me.com"),
        ("asha@proton.me", "asha+x@protonmail.com"),
    ],
)
def test_spellings_of_one_inbox_make_one_signature(campaign, sign, deliver_outbox, first, again):
    sign(campaign, email=first)
    sign(campaign, email=again, first_name="Someone")

    (signature,) = Signature.objects.all()
    assert signature.email == first  # what was typed, to send to
    assert [message.to for message in deliver_outbox()] == [[first], [first]]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("asha.patel@example.org", "ashapatel@example.org"),  # dots matter except where the provider ignores them
        ("asha.patel@outlook.com", "ashapatel@outlook.com"),
        ("asha@gmail.com", "asha@gmail.co.uk"),
        ("asha@hotmail.com", "asha@outlook.com"),
    ],
)
def test_different_inboxes_are_different_signatures(campaign, sign, one, other):
    sign(campaign, email=one)
    sign(campaign, email=other)

    assert Signature.objects.count() == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_spelling_of_one_mailbox_signed_at_once_makes_one_signature_counted_once(
    campaign, sign, settings, deliver_outbox, client
):
    settings.EMAILS_PER_SIGNATURE_PER_HOUR = 3
    settings.SIGN_LIMITS_PER_MAILBOX = [(100, 3600)]
    spellings = [
        "asha.patel@gmail.com",
        "ashapatel@gmail.com",
        "Asha.Patel@Gmail.com",
        "a.s.h.a.p.a.t.e.l@googlemail.com",
        "ashapatel+letter@gmail.com",
        "asha.patel+x@googlemail.com",
        "ASHAPATEL+1@GMAIL.COM",
        "asha.p.atel+2@gmail.com",
    ]

    responses = simultaneously(
        40, lambda i: sign(campaign, client=Client(), email=spellings[i % 8], ip=f"198.51.100.{i}")
    )

    assert [response.status_code for response in responses] == [302] * 40
    (signature,) = Signature.objects.all()
    messages = deliver_outbox()
    assert len(messages) == 3  # the hourly cap
    confirm_urls = {sent_links(message)[0] for message in messages}
    for url in confirm_urls:
        client.post(urlsplit(url).path)
    assert counting.recount(campaign) == (1, 1)
    assert Signature.objects.get(pk=signature.pk).status == "confirmed"
