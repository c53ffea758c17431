import pytest
from django.test import Client

from petition.models import OutgoingEmail, Signature

from .conftest import simultaneously


@pytest.mark.parametrize(
    "again",
    [
        "asha.patel@example.org",
        "ASHA.PATEL@EXAMPLE.ORG",
        "  Asha.Patel@Example.org  ",
        "asha.patel@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org",
    ],
)
def test_signing_again_with_the_same_address_makes_no_second_signature(campaign, sign, again):
    first = sign(campaign, email="asha.patel@example.org")
    second = sign(campaign, email=again, first_name="Someone", postcode="SW1A 1AA")

    assert Signature.objects.count() == 1
    assert Signature.objects.get().first_name == "Asha"
    assert second.status_code == first.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]


def test_a_pending_repeat_signer_is_sent_the_confirmation_again(campaign, sign):
    sign(campaign)
    sign(campaign)

    assert list(OutgoingEmail.objects.values_list("kind", flat=True)) == ["confirm", "confirm"]


def test_a_confirmed_repeat_signer_is_told_they_have_already_signed(campaign, sign, confirmed, deliver_outbox):
    confirmed(campaign)

    sign(campaign)

    (message,) = deliver_outbox()
    assert message.subject == "You have already signed: Keep children safe online"
    assert "/withdraw/" in message.body
    assert "/confirm/" not in message.body


def test_repeat_signing_sends_at_most_a_few_emails_an_hour(campaign, sign, settings):
    settings.EMAILS_PER_SIGNATURE_PER_HOUR = 3
    settings.SIGN_LIMITS_PER_MAILBOX = [(100, 3600)]  # the cap on emails, not on attempts, is tested here

    for _ in range(6):
        assert sign(campaign).status_code == 302

    assert OutgoingEmail.objects.count() == 3


def test_gmail_dots_and_tags_are_separate_signatures_but_share_a_canonical_address(campaign, sign):
    sign(campaign, email="asha.patel@gmail.com")
    sign(campaign, email="ashapatel+letter@googlemail.com")

    assert Signature.objects.count() == 2
    assert set(Signature.objects.values_list("email_canonical", flat=True)) == {"ashapatel@gmail.com"}


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_submissions_of_one_address_make_one_signature(campaign, sign, settings):
    settings.EMAILS_PER_SIGNATURE_PER_HOUR = 3
    settings.SIGN_LIMITS_PER_MAILBOX = [(100, 3600)]

    responses = simultaneously(20, lambda i: sign(campaign, client=Client(), ip=f"198.51.100.{i}"))

    assert [response.status_code for response in responses] == [302] * 20
    assert Signature.objects.count() == 1
    assert OutgoingEmail.objects.filter(kind="confirm").count() == 3
