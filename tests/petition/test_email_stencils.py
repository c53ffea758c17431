"""Emails are rendered once per kind, campaign and language with markers for each signer's own values, which are
then put in (petition.emails._rendered): each must read exactly as if its templates had been rendered for it."""

from datetime import UTC, datetime

import pytest
from django.template import loader
from django.utils import translation

from campaign.models import Campaign, Organiser
from petition import emails
from petition.models import OutgoingEmail, Signature

pytestmark = pytest.mark.django_db

NAMES = [
    ("Asha", "Patel"),
    ("<b>Eve</b>", 'O\'Brien & "Sons"'),  # escaped in the HTML, as written in the text
    ("Siân", "ap Gwŷn"),
    ("%(title)s", "{{ campaign_url }}"),  # what a template or gettext would read as its own
    (emails._MARKER + "first_name" + emails._MARKER, "Smith"),  # cannot be known in advance; even so, kept apart
]


def fully_rendered(template, context):
    return loader.get_template(f"{template}.txt").render(context), loader.get_template(f"{template}.html").render(
        context
    )


@pytest.mark.parametrize("language", ["en-gb", "cy"])
@pytest.mark.parametrize("kind", ["confirm", "already_signed"])
def test_a_signers_email_reads_as_a_full_rendering_would(kind, language):
    organiser = emails._OrganiserShown("Plant & Teulu", "123", ("1 High St", "Cardiff"), "hello@example.org")
    same = {"campaign": emails._CampaignShown("Keep <children> safe"), "organiser": organiser, "site_url": "https://x"}
    same |= {"link_days": 30, "campaign_url": "https://x/c/a/", "privacy_url": "https://x/c/a/privacy/"}
    with translation.override(language):
        for first, last in NAMES:
            own = {"first_name": first, "last_name": last, "confirm_url": "https://x/c/a/confirm/T/"}
            own |= {"withdraw_url": "https://x/c/a/withdraw/T/"}

            assert emails._rendered(f"petition/email/{kind}", same, own) == fully_rendered(
                f"petition/email/{kind}", same | own
            )


@pytest.mark.parametrize("language", ["en-gb", "cy"])
@pytest.mark.parametrize("opted_in", [True, False])
def test_an_update_reads_as_a_full_rendering_would(language, opted_in):
    update = emails._UpdateShown("We delivered it", "<p>Thank <em>you</em> &amp; more</p>", "Thank you & more")
    same = {"update": update, "campaign": emails._CampaignShown("A letter"), "organiser": None, "test": False}
    same |= {"update_url": "https://x/u/1/", "opted_in": opted_in, "campaign_url": "https://x/", "privacy_url": "p"}
    with translation.override(language):
        for signed_on in ("2 March 2026", "2 Mawrth 2026"):
            own = {"unsubscribe_url": "https://x/u/tok/", "signed_on": signed_on}

            assert emails._rendered("petition/email/update", same, own) == fully_rendered(
                "petition/email/update", same | own
            )


def test_each_signer_gets_their_own_name_and_links_and_an_edited_title_shows_at_once(campaign):
    def email_to(first_name, token):
        signature = Signature(campaign=campaign, first_name=first_name, last_name="Jones", email="a@example.org")
        signature.token = token
        return emails._message(OutgoingEmail(signature=signature, kind=OutgoingEmail.Kind.CONFIRM))

    ann, bob = email_to("Ann", "token-of-ann"), email_to("Bob", "token-of-bob")
    Campaign.objects.filter(pk=campaign.pk).update(title="A clearer title")
    campaign.refresh_from_db()
    after = email_to("Cai", "token-of-cai")

    assert "Ann Jones" in ann.body and "/confirm/token-of-ann/" in ann.body and "Bob" not in ann.body
    assert "Bob Jones" in bob.body and "/confirm/token-of-bob/" in bob.body and "token-of-ann" not in bob.body
    assert '"A clearer title"' in after.body and "A clearer title" in after.alternatives[0].content
    assert "Keep children safe online" not in after.body


def test_an_update_names_the_day_each_supporter_signed_in_their_language(campaign, settings):
    from petition.models import Update

    update = Update.objects.create(campaign=campaign, title="News", html="<p>News</p>", text="News")
    organiser = Organiser.objects.create(name="Children First")
    Campaign.objects.filter(pk=campaign.pk).update(organiser=organiser)
    campaign.refresh_from_db()

    def update_to(language, confirmed_at, opted_in):
        signature = Signature(campaign=campaign, first_name="A", last_name="B", email="a@example.org", pk=1)
        signature.language, signature.confirmed_at, signature.contact_opt_in = language, confirmed_at, opted_in
        return emails._message(OutgoingEmail(signature=signature, update=update, kind=OutgoingEmail.Kind.UPDATE))

    english = update_to("en-gb", datetime(2026, 3, 2, 23, 30, tzinfo=UTC), opted_in=True)
    welsh = update_to("cy", datetime(2026, 3, 2, 12, tzinfo=UTC), opted_in=False)

    assert "on 2 March 2026 and asked us to email you about its progress" in english.body
    assert "2 Mawrth 2026" in welsh.body and "asked us to email you" not in welsh.body
    assert "Sent by Children First" in english.body
