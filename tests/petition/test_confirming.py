from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from petition import counting
from petition.models import Signature

from .conftest import sent_links


def count(campaign):
    return counting._sum_shards(campaign.pk).count


def test_opening_the_link_shows_a_button_and_confirms_nothing(campaign, sign, deliver_outbox, client):
    sign(campaign)
    confirm_url, _ = sent_links(deliver_outbox()[0])

    response = client.get(urlsplit(confirm_url).path)

    assert response.status_code == 200
    assert "Confirm my signature" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert count(campaign) == 0


def test_pressing_the_button_confirms_and_counts_the_signature(campaign, sign, deliver_outbox, client):
    sign(campaign)
    confirm_url, _ = sent_links(deliver_outbox()[0])

    response = client.post(urlsplit(confirm_url).path)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/c/letter/thanks/"
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED and signature.confirmed_at
    assert count(campaign) == 1


def test_a_confirmation_link_used_twice_counts_once(campaign, sign, deliver_outbox, client):
    sign(campaign)
    path = urlsplit(sent_links(deliver_outbox()[0])[0]).path

    client.post(path)
    again = client.post(path)

    assert urlsplit(again.headers["Location"]).path == "/c/letter/thanks/"
    assert count(campaign) == 1


def test_a_confirmation_link_expires(campaign, sign, deliver_outbox, client, settings):
    settings.CONFIRMATION_LINK_MAX_AGE = 3600
    sign(campaign)
    path = urlsplit(sent_links(deliver_outbox()[0])[0]).path

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = client.post(path)

    assert response.status_code == 404
    assert "This link has expired or is not valid" in response.content.decode()
    assert count(campaign) == 0


def test_asking_for_the_email_again_gives_the_link_a_new_lease(campaign, sign, deliver_outbox, client, settings):
    settings.CONFIRMATION_LINK_MAX_AGE = 3600
    sign(campaign)
    path = urlsplit(sent_links(deliver_outbox()[0])[0]).path

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        client.post("/c/letter/resend/", {"email": "asha.patel@example.org"}, REMOTE_ADDR="203.0.113.8")
        (again,) = deliver_outbox()
        assert urlsplit(sent_links(again)[0]).path == path  # the same link, in a new email
        response = client.post(path)

    assert response.status_code == 302
    assert count(campaign) == 1


def test_a_tampered_link_is_refused(campaign, sign, deliver_outbox, client):
    sign(campaign)
    path = urlsplit(sent_links(deliver_outbox()[0])[0]).path

    response = client.post(path[:-3] + "xx/")

    assert response.status_code == 404
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_a_link_for_one_campaign_does_not_work_on_another(campaign, make_campaign, sign, deliver_outbox, client):
    make_campaign(slug="other")
    sign(campaign)
    path = urlsplit(sent_links(deliver_outbox()[0])[0]).path

    response = client.post(path.replace("/c/letter/", "/c/other/"))

    assert response.status_code == 404
    assert count(campaign) == 0


def test_withdrawing_takes_a_confirmed_signature_off_the_count_and_deletes_it(campaign, confirmed, client):
    signature = confirmed(campaign)
    assert count(campaign) == 1
    path = f"/c/letter/withdraw/{signature.token}/"

    page = client.get(path)
    assert "Withdraw my signature" in page.content.decode()
    assert Signature.objects.count() == 1

    response = client.post(path)

    assert "Your signature has been withdrawn" in response.content.decode()
    assert Signature.objects.count() == 0
    assert count(campaign) == 0
    assert client.post(path).status_code == 404


def test_withdrawing_an_unconfirmed_signature_leaves_the_count_alone(campaign, confirmed, sign, client):
    confirmed(campaign, email="first@example.org")
    sign(campaign, email="second@example.org")
    pending = Signature.objects.get(email="second@example.org")

    client.post(f"/c/letter/withdraw/{pending.token}/")

    assert count(campaign) == 1


def test_after_withdrawing_the_same_address_can_sign_again(campaign, confirmed, sign, client):
    signature = confirmed(campaign)
    client.post(f"/c/letter/withdraw/{signature.token}/")

    assert sign(campaign).status_code == 302
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_a_confirmation_in_a_surge_takes_a_lookup_and_one_statement(
    campaign, sign, deliver_outbox, client, django_assert_num_queries
):
    """On PostgreSQL, confirming and counting are one statement (its own transaction); the campaign is the one
    this process keeps for signing."""
    sign(campaign)
    path = urlsplit(sent_links(deliver_outbox()[0])[0]).path

    # SQLite: BEGIN, the UPDATE, the count and COMMIT, as Django counts them.
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 5):
        response = client.post(path)

    assert response.status_code == 302
    assert count(campaign) == 1
    with django_assert_num_queries(1):  # pressed again: nothing more is counted, and nothing is written
        assert client.post(path).status_code == 302
    assert count(campaign) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements are prepared on PostgreSQL")
def test_postgresql_keeps_a_surge_s_statements_prepared_and_plans_a_staff_filter_for_each_value(
    campaign, sign, deliver_outbox, client
):
    for n in range(7):
        sign(campaign, email=f"signer{n}@example.org", ip=f"203.0.113.{n}")
    for link in (sent_links(email)[0] for email in deliver_outbox()):
        assert client.post(urlsplit(link).path).status_code == 302
    for domain in ["gmail.com", "example.org"] * 4:  # the same query, run as often as the statements above
        list(Signature.objects.filter(campaign=campaign, email_domain=domain)[:100])

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert count(campaign) == 7
    for hot in ("WITH signer AS (INSERT", "WITH confirmed AS (UPDATE"):
        assert any(statement.startswith(hot) for statement in prepared), (hot, prepared)
    assert not any("email_domain" in statement.partition("WHERE")[2] for statement in prepared), prepared


def test_confirming_after_the_campaign_closed_is_refused(campaign, sign, deliver_outbox, client):
    sign(campaign)
    path = urlsplit(sent_links(deliver_outbox()[0])[0]).path
    campaign.status = "closed"
    campaign.closes_at = timezone.now()
    campaign.save()

    response = client.post(path)

    assert response.status_code == 403
    assert count(campaign) == 0


def test_resend_page_looks_the_same_whether_or_not_the_address_signed(campaign, sign, client, deliver_outbox):
    sign(campaign)
    deliver_outbox()

    signed = client.post("/c/letter/resend/", {"email": "asha.patel@example.org"})
    stranger = client.post("/c/letter/resend/", {"email": "nobody@example.org"})

    assert signed.status_code == stranger.status_code == 302
    assert signed.headers["Location"] == stranger.headers["Location"] == "/c/letter/check-your-email/"
    (message,) = deliver_outbox()
    assert message.to == ["asha.patel@example.org"]
    assert message.subject == "Please confirm your signature: Keep children safe online"


def test_resend_refuses_an_address_we_could_never_reach_saying_why(campaign, client, deliver_outbox):
    response = client.post("/c/letter/resend/", {"email": "asha@mailinator.com"})

    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="#id_email">We cannot accept addresses at mailinator.com, which gives out short-lived' in page
    assert deliver_outbox() == []


def test_the_email_links_work_and_show_no_one_else_s_details(campaign, sign, deliver_outbox):
    sign(campaign, first_name="Asha")

    (message,) = deliver_outbox()

    confirm_url, withdraw_url = sent_links(message)
    assert confirm_url.startswith("http://127.0.0.1:8000/c/letter/confirm/")
    assert withdraw_url.startswith("http://127.0.0.1:8000/c/letter/withdraw/")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and confirm_url in html and withdraw_url in html


def test_the_confirmation_email_opens_with_our_words_not_the_name_typed_into_the_form(campaign, sign, deliver_outbox):
    # Anyone can type anyone's address: the first thing its owner reads must not be the stranger's text.
    sign(campaign, first_name="URGENT: your bank account", last_name="is locked, call 0800 000 000")

    (message,) = deliver_outbox()

    assert message.body.startswith('Please confirm your signature on the open letter "Keep children safe online".')
    html = message.alternatives[0][0]
    assert html.index("Please confirm your signature") < html.index("URGENT")
    assert 'the name "URGENT: your bank account is locked, call 0800 000 000". If that was not you' in message.body


def test_the_confirm_page_shows_what_will_be_published(campaign, sign, deliver_outbox, client):
    sign(campaign, first_name="Asha", last_name="Patel", show_name="on", message="Act now <please>")
    path = urlsplit(sent_links(deliver_outbox()[0])[0]).path

    page = client.get(path).content.decode()

    assert "Your name will be listed on the campaign page as Asha P." in page
    assert "Your full name and area go to A. Minister MP with the letter." in page
    assert "<q>Act now &lt;please&gt;</q>" in page
    assert "We will not email you about the campaign." in page
