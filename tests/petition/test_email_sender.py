"""Every email to a supporter comes from the campaign's organiser by name, and says who sent it and why."""

import pytest

from campaign.models import Organiser


@pytest.fixture
def organiser(campaign):
    campaign.organiser = Organiser.objects.create(
        name="Children First",
        charity_number="0000000",
        postal_address="1 High Street\nLondon",
        email="hello@children-first.example",
    )
    campaign.save()
    return campaign.organiser


def test_the_email_comes_from_the_organiser_at_the_sites_own_address(
    campaign, organiser, sign, deliver_outbox, settings
):
    settings.DEFAULT_FROM_EMAIL = "Open letter <letter@letter.example>"
    sign(campaign)

    (message,) = deliver_outbox()

    assert message.from_email == "Children First <letter@letter.example>"


def test_without_an_organiser_the_email_comes_from_the_site(campaign, sign, deliver_outbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Open letter <letter@letter.example>"
    sign(campaign)

    (message,) = deliver_outbox()

    assert message.from_email == "Open letter <letter@letter.example>"
    assert "Sent by" not in message.body
    assert "Why you are getting this" in message.body


def test_the_confirmation_email_says_who_sent_it_and_why(campaign, organiser, sign, deliver_outbox, settings):
    sign(campaign)

    (message,) = deliver_outbox()
    html = message.alternatives[0].content

    for body in (message.body, html):
        assert "Why you are getting this: this email address was given on the form at" in body
        assert "to sign the open letter" in body and "Keep children safe online" in body.split("Why you are")[1]
        assert "Sent by Children First, registered charity number 0000000, 1 High Street, London." in body
        assert "hello@children-first.example" in body
        assert f"{settings.SITE_URL}/c/letter/privacy/" in body


def test_the_already_signed_email_carries_the_same_footer(campaign, organiser, confirmed, sign, deliver_outbox):
    confirmed(campaign)
    sign(campaign)

    (message,) = deliver_outbox()

    assert message.subject.startswith("You have already signed")
    assert message.from_email.startswith("Children First <")
    assert "Sent by Children First" in message.body and "Sent by Children First" in message.alternatives[0].content


def test_the_plain_text_keeps_the_organisers_name_as_typed(campaign, organiser, sign, deliver_outbox):
    organiser.name = "Plant & Teulu"
    organiser.save()
    sign(campaign)

    (message,) = deliver_outbox()

    assert "Sent by Plant & Teulu," in message.body
    assert "Sent by Plant &amp; Teulu," in message.alternatives[0].content


def test_a_name_with_a_comma_and_welsh_letters_reaches_the_inbox_whole(campaign, organiser, sign, smtp_server):
    from petition import emails

    organiser.name = "Plant Cymru, Gŵyl\nNewydd"  # a line break typed into the name must not break the header
    organiser.save()
    sign(campaign)

    assert emails.send_due() == 1

    ((_, message),) = smtp_server.messages
    (sender,) = message["From"].addresses
    assert sender.display_name == "Plant Cymru, Gŵyl Newydd"
    assert "Sent by Plant Cymru, Gŵyl" in message.get_body(("plain",)).get_content()
