"""The pages after signing and confirming: "check your email" shows the signer the inbox the email went to and lets
them sign again with the right address; the thank-you page says "confirmed" only to whoever just confirmed. Neither
tells anyone else anything, nor whether an address had signed."""

import re
import time
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from petition import receipts
from petition.models import Signature

from .conftest import sent_links, valid_form, without_receipts


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def browser():
    """A visitor's browser that has opened the sign form, so that it has its CSRF cookie, as every signer does."""
    client = Client()
    client.get("/c/letter/sign/")
    return client


@pytest.fixture
def sign_in(django_capture_on_commit_callbacks):
    """Return a function that sends the sign form from a browser and returns the "check your email" URL and page.

    What the request leaves for once it commits (a task for the worker) runs before the function returns.
    """

    def submit(client, campaign, **fields):
        form = valid_form(campaign, client=client) | fields
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/c/letter/sign/", form, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 302
        return response.headers["Location"], client.get(response.headers["Location"]).content.decode()

    return submit


def sign_again_link(page):
    return unescape(re.search(r'<a href="([^"]+)">Sign again with the right one</a>', page).group(1))


def hidden(page, name):
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    return match.group(1) if match else None


def test_check_your_email_shows_the_signer_the_inbox_the_email_went_to(campaign, sign_in):
    signer = browser()

    url, page = sign_in(signer, campaign, email="asha.patel@exmaple.org")

    assert "We have sent a link to <strong>asha.patel@exmaple.org</strong>" in page
    assert "asha" not in url  # the address is never in a URL, where logs would keep it
    assert signer.get(url).headers["Cache-Control"] == "no-store"


def test_the_page_shows_the_inbox_as_it_receives_mail(campaign, sign_in):
    _, page = sign_in(browser(), campaign, email="Asha.Patel+letters@Example.org")

    assert "We have sent a link to <strong>asha.patel@example.org</strong>" in page


def test_another_browser_opening_the_same_url_sees_no_address(campaign, sign_in):
    url, _ = sign_in(browser(), campaign, email="asha.patel@example.org")

    for stranger in (Client(), browser()):
        page = stranger.get(url).content.decode()
        assert "Check your email" in page
        assert "asha.patel" not in page and "Sign again" not in page


def test_the_address_is_shown_for_an_hour_at_most(campaign, time_machine, sign_in):
    time_machine.move_to(time.time(), tick=False)
    signer = browser()
    url, _ = sign_in(signer, campaign, email="asha.patel@example.org")

    time_machine.shift(receipts.MAX_AGE + 1)

    assert "asha.patel" not in signer.get(url).content.decode()


def test_an_edited_receipt_shows_nothing(campaign, sign_in):
    signer = browser()
    url, _ = sign_in(signer, campaign, email="asha.patel@example.org")
    value = urlsplit(url).query.removeprefix("r=")

    page = signer.get("/c/letter/check-your-email/", {"r": value[:-2] + ("AA" if value[-2:] != "AA" else "BB")})

    assert "asha.patel" not in page.content.decode()


def test_signing_again_with_the_right_address_cancels_the_mistyped_signature(campaign, sign_in, deliver_outbox):
    signer = browser()
    _, page = sign_in(signer, campaign, email="asha.patel@exmaple.org", source="whatsapp")
    (mistyped,) = mail.outbox
    sign_again = signer.get(sign_again_link(page)).content.decode()
    assert "Sign again with the right address" in sign_again
    assert hidden(sign_again, "source") == "whatsapp"

    _, page = sign_in(
        signer,
        campaign,
        email="asha.patel@example.org",
        source=hidden(sign_again, "source"),
        replacing=hidden(sign_again, "replacing"),
    )

    assert "We have sent a link to <strong>asha.patel@example.org</strong>" in page
    (signature,) = Signature.objects.all()
    assert (signature.mailbox, signature.first_name, signature.source) == ("asha.patel@example.org", "Asha", "whatsapp")
    deliver_outbox()  # if the worker has not been nudged since the first (once a second)
    assert [message.to for message in mail.outbox] == [["asha.patel@exmaple.org"], ["asha.patel@example.org"]]
    # Whoever owns the mistyped inbox cannot confirm a signature in someone else's name.
    confirm_url, _ = sent_links(mistyped)
    assert Client().get(urlsplit(confirm_url).path).status_code == 404


def test_signing_again_never_removes_a_signature_someone_else_made(campaign, sign, confirmed, deliver_outbox, sign_in):
    sign(campaign, email="pending.person@example.org")
    confirmed(campaign, email="confirmed.person@example.org")
    deliver_outbox()
    prober = browser()

    for address in ("pending.person@example.org", "confirmed.person@example.org"):
        _, page = sign_in(prober, campaign, email=address, first_name="Prober")
        sign_again = prober.get(sign_again_link(page)).content.decode()
        replacing = hidden(sign_again, "replacing")
        sign_in(prober, campaign, email="prober@example.org", first_name="Prober", replacing=replacing)

    assert dict(Signature.objects.values_list("mailbox", "status")) == {
        "pending.person@example.org": "pending",
        "confirmed.person@example.org": "confirmed",
        "prober@example.org": "pending",
    }
    assert set(Signature.objects.values_list("first_name", flat=True)) == {"Asha", "Prober"}


def test_signing_again_looks_the_same_whether_or_not_the_address_had_signed(campaign, sign, sign_in):
    sign(campaign, email="signed.before@example.org")

    def journey(address):
        client = browser()
        url, page = sign_in(client, campaign, email=address)
        sign_again = client.get(sign_again_link(page)).content.decode()
        _, after = sign_in(client, campaign, email="right@example.org", replacing=hidden(sign_again, "replacing"))
        Signature.objects.filter(mailbox="right@example.org").delete()
        texts = (url, page, sign_again, after)
        return [
            re.sub(r'(name="(csrfmiddlewaretoken|started)" value=")[^"]*', r"\1", without_receipts(text)).replace(
                address, "ADDRESS"
            )
            for text in texts
        ]

    assert journey("signed.before@example.org") == journey("never.signed@example.org")


def test_signing_again_with_the_same_inbox_keeps_the_signature(campaign, sign_in):
    signer = browser()
    _, page = sign_in(signer, campaign, email="asha.patel@example.org")
    sign_again = signer.get(sign_again_link(page)).content.decode()

    sign_in(signer, campaign, email="Asha.Patel@example.org", replacing=hidden(sign_again, "replacing"))

    assert list(Signature.objects.values_list("mailbox", flat=True)) == ["asha.patel@example.org"]


def test_another_browser_cannot_use_a_receipt_to_cancel_a_signature(campaign, sign_in):
    signer = browser()
    _, page = sign_in(signer, campaign, email="asha.patel@example.org")
    receipt = hidden(signer.get(sign_again_link(page)).content.decode(), "replacing")

    sign_in(browser(), campaign, email="someone.else@example.org", replacing=receipt)

    assert Signature.objects.count() == 2


def test_the_thank_you_page_says_confirmed_only_to_whoever_just_confirmed(campaign, sign_in):
    signer = browser()
    sign_in(signer, campaign)
    confirm_url, _ = sent_links(*mail.outbox)

    thanks = signer.post(urlsplit(confirm_url).path).headers["Location"]

    assert "is confirmed and counted" in signer.get(thanks).content.decode()
    for page in (signer.get("/c/letter/thanks/"), Client().get(thanks), browser().get(thanks)):
        text = page.content.decode()
        assert "Thank you for your support" in text
        assert "confirmed" not in text and "Share on WhatsApp" in text
