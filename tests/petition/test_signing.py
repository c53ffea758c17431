import re
import time
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from campaign import PRIVACY_NOTICE_VERSION
from petition.forms import EMAIL_INVALID, FORM_CLOCK_SALT, SignForm
from petition.models import OutgoingEmail, Signature

from .conftest import form_clock, valid_form


def test_signing_stores_a_pending_signature_and_queues_its_confirmation_email(campaign, sign):
    response = sign(campaign, first_name="  Asha ", email=" Asha.Patel@Example.ORG ", postcode="bn11aa", show_name="on")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/c/letter/check-your-email/"
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert (signature.first_name, signature.last_name) == ("Asha", "Patel")
    assert signature.email == "Asha.Patel@example.org"  # the domain as mail servers write it
    assert signature.mailbox == "asha.patel@example.org"
    assert signature.email_domain == "example.org"
    assert (signature.postcode, signature.region, signature.country) == ("BN1 1AA", "south-east", "GB")
    assert signature.show_name and not signature.contact_opt_in
    assert signature.consent_version == PRIVACY_NOTICE_VERSION == "2026-12-02.2"
    assert len(signature.ip_hash) == 32 and "203.0.113.7" not in signature.ip_hash
    (email,) = OutgoingEmail.objects.all()
    assert (email.signature, email.kind, email.status) == (signature, "confirm", "pending")


def test_signing_nudges_the_worker_once_per_second_however_many_sign(
    campaign, sign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign(campaign, email="one@example.org")
        sign(campaign, email="two@example.org")
        sign(campaign, email="three@example.org")

    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "petition.emails.send_due_emails"
    assert timezone.now() + timedelta(seconds=0.5) < task.run_after <= timezone.now() + timedelta(seconds=1.2)
    assert OutgoingEmail.objects.count() == 3


def test_check_your_email_page_does_not_show_the_address(campaign, sign, client):
    sign(campaign, email="private.person@example.org")

    page = client.get("/c/letter/check-your-email/").content.decode()

    assert "Check your email" in page
    assert "private.person" not in page


@pytest.mark.parametrize("postcode", ["", "D02 X285", "90210"])
def test_signer_abroad_gives_a_country_instead_of_a_postcode(campaign, sign, postcode):
    sign(campaign, location="abroad", postcode=postcode, country="IE")

    signature = Signature.objects.get()
    assert (signature.postcode, signature.country, signature.region) == ("", "IE", "outside-uk")


def test_a_message_to_the_minister_waits_for_moderation(campaign, sign):
    sign(campaign, message="Please act now.")
    assert Signature.objects.get().message_status == Signature.MessageStatus.PENDING


def test_html_and_script_are_kept_as_plain_text(campaign, sign, client):
    sign(campaign, first_name="<script>alert(1)</script>", message="<b>bold</b> & 'quotes'", show_name="on")

    signature = Signature.objects.get()
    assert signature.first_name == "<script>alert(1)</script>"
    assert signature.message == "<b>bold</b> & 'quotes'"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Enter your first name"),
        ({"last_name": " "}, "last_name", "Enter your last name"),
        ({"email": ""}, "email", "Enter your email address"),
        ({"email": "not-an-email"}, "email", EMAIL_INVALID),
        ({"postcode": ""}, "postcode", "Enter your postcode, or choose “I live outside the UK”"),
        ({"postcode": "XX1 1XX"}, "postcode", "Enter a real UK postcode, like SW1A 1AA"),
        ({"postcode": "12345"}, "postcode", "Enter a real UK postcode, like SW1A 1AA"),
        ({"location": "abroad", "postcode": "", "country": ""}, "country", "Choose the country you live in"),
        ({"location": "abroad", "country": "ZZ"}, "country", "Choose your country from the list"),
        ({"location": "moon"}, "location", "Choose one of the options"),
        ({"first_name": "A" * 51}, "first_name", "First name must be 50 characters or fewer (it has 51)"),
        ({"first_name": "Asha\nClick here"}, "first_name", "First name must be on one line"),
        ({"last_name": "Pa\u2028tel"}, "last_name", "Last name must be on one line"),
        (
            {"email": '"a\x01b"@example.com'},
            "email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        ({"message": "x" * 501}, "message", "Message must be 500 characters or fewer (it has 501)"),
        (
            {"first_name": "Asha\x07"},
            "first_name",
            "First name contains characters we cannot accept. Please retype it.",
        ),
        (
            {"last_name": "Pa\u202etel"},
            "last_name",
            "Last name contains characters we cannot accept. Please retype it.",
        ),
    ],
)
def test_a_mistake_is_explained_at_the_top_and_beside_its_field_with_every_input_kept(
    campaign, sign, fields, field, message
):
    response = sign(campaign, **({"message": "Keep this"} | fields))

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    anchor = f"#id_{field}_0" if field == "location" else f"#id_{field}"
    assert f'<a href="{anchor}">{message}</a>' in page
    assert f'id="id_{field}_error"' in page or field == "location"
    assert page.startswith("<!doctype html>") and "<title>Error: " in page
    assert "Keep this" in page or "message" in fields
    assert Signature.objects.count() == 0


def test_long_text_is_not_cut_short_by_the_browser(campaign, client):
    page = client.get("/c/letter/sign/").content.decode()

    fields = re.findall(r'<(?:input|textarea)[^>]*name="(?:first_name|last_name|message)"[^>]*>', page)

    assert len(fields) == 3
    assert not any("maxlength" in field for field in fields)


def test_field_with_an_error_is_marked_invalid_for_screen_readers(campaign, sign):
    page = sign(campaign, email="nope").content.decode()
    assert 'aria-describedby="id_email_helptext id_email_error"' in page
    assert 'aria-invalid="true"' in page


def test_a_form_sent_too_quickly_is_refused_politely_and_can_be_sent_again(campaign, sign, client, settings):
    settings.SIGN_FORM_MIN_SECONDS = 3

    response = sign(campaign, clock_seconds_ago=0)

    page = response.content.decode()
    assert "That was quicker than we expected from a person." in page
    assert 'value="Asha"' in page
    assert Signature.objects.count() == 0
    with time_machine.travel(time.time() + 4):  # a person reads the message, then presses the button again
        form = SignFormOnPage(page)
        assert client.post("/c/letter/sign/", form.data, REMOTE_ADDR="203.0.113.7").status_code == 302


@pytest.mark.parametrize("clock", ["", "garbage", "1:2:3"])
def test_a_form_without_a_valid_clock_is_refused_politely(campaign, sign, clock):
    response = sign(campaign, started=clock)

    assert "This form had expired." in response.content.decode()
    assert Signature.objects.count() == 0


def test_a_form_left_open_for_days_is_refused_politely(campaign, sign):
    response = sign(campaign, clock_seconds_ago=3 * 86400)

    assert "This form had expired." in response.content.decode()
    assert Signature.objects.count() == 0


def test_the_clock_of_one_campaign_does_not_sign_another(campaign, make_campaign, sign):
    other = make_campaign(slug="other")
    response = sign(other, started=form_clock(campaign))

    assert "This form had expired." in response.content.decode()


def test_filling_the_hidden_field_looks_like_success_but_stores_nothing(campaign, sign):
    response = sign(campaign, website="http://spam.example")

    assert response.status_code == 302
    assert Signature.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


@pytest.mark.parametrize("status", ["closed", "draft", "delivered"])
def test_a_campaign_not_open_refuses_signatures_with_a_clear_page(make_campaign, sign, client, status):
    from django.utils import timezone

    campaign = make_campaign(slug="shut", status=status, delivered_at=timezone.now())

    response = sign(campaign)

    if status == "draft":
        assert response.status_code == 404
    else:
        assert response.status_code == 403
        assert "This letter has" in response.content.decode()
    assert Signature.objects.count() == 0


def test_sign_page_shows_the_form_with_labels(campaign, client):
    page = client.get("/c/letter/sign/").content.decode()

    for label in ("First name", "Last name", "Email address", "Postcode", "Message to the minister (optional)"):
        assert label in page
    assert 'name="started" value="' in page
    assert '<input type="checkbox" name="contact_opt_in" id="id_contact_opt_in">' in page


@pytest.mark.parametrize(
    ("email", "says"),
    [
        ("asha@[192.0.2.1]", "We cannot send to a network address in square brackets."),
        ("asha@[2001:db8::1]", "We cannot send to a network address in square brackets."),
        ("asha@localhost", "We cannot send email to localhost: localhost names point to the computer you are using"),
        ("asha@example.invalid", "We cannot send email to example.invalid: names ending in .invalid are set aside"),
        ("asha@mail.test", "We cannot send email to mail.test: names ending in .test are set aside for testing"),
        ("asha@nas.local", "We cannot send email to nas.local: names ending in .local work only inside a home"),
        ("asha@example.onion", "We cannot send email to example.onion: names ending in .onion are Tor services"),
        ("asha@example.alt", "We cannot send email to example.alt: names ending in .alt are outside the internet"),
        ("asha@mailinator.com", "We cannot accept addresses at mailinator.com, which gives out short-lived inboxes"),
        ("asha@inbox.Mailinator.com", "We cannot accept addresses at mailinator.com, which gives out short-lived"),
    ],
)
def test_an_address_we_could_never_reach_is_refused_saying_why_and_nothing_is_stored(campaign, sign, email, says):
    response = sign(campaign, email=email, message="Keep this")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<a href="#id_email">{says}' in page
    assert f'<p class="error-message" id="id_email_error"><span class="visually-hidden">Error:</span> {says}' in page
    assert "Keep this" in page
    assert Signature.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


class SignFormOnPage(HTMLParser):
    """What a browser sends from the sign form on a page: its inputs as they stand, and the button pressed."""

    def __init__(self, page):
        super().__init__()
        self.data, self.buttons, self._in = {}, {}, None
        self.feed(page[page.index('<form method="post" action="/c/letter/sign/"') :])

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and (attrs.get("type") not in {"radio", "checkbox"} or "checked" in attrs):
            self.data[attrs["name"]] = attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")
        elif tag == "textarea" or tag == "select":
            self._in = attrs["name"]
            self.data[self._in] = ""
        elif tag == "option" and "selected" in attrs and attrs.get("value"):
            self.data[self._in] = attrs["value"]
        elif tag == "button" and "name" in attrs:
            self.buttons[attrs["name"]] = attrs["value"]

    def handle_data(self, data):
        if self._in == "message":
            self.data["message"] += data

    def handle_endtag(self, tag):
        if tag in {"textarea", "select"}:
            self._in = None

    def pressing(self, button=None):
        return self.data | ({button: self.buttons[button]} if button else {})


def test_a_mistyped_provider_is_asked_about_beside_the_field_with_an_answer_on_each_button(campaign, sign):
    response = sign(campaign, email="asha@gmial.com")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="#id_email">Did you mean asha@gmail.com?</a>' in page
    assert '<span class="visually-hidden">Error:</span> Did you mean asha@gmail.com?</p>' in page
    assert 'aria-describedby="id_email_helptext id_email_error"' in page
    assert (
        '<button type="submit" name="use_email" value="asha@gmail.com" class="button">Yes, use asha@gmail.com</button>'
        in page
    )
    assert (
        '<button type="submit" name="keep_email" value="asha@gmial.com" class="button button-secondary">'
        "No, keep asha@gmial.com</button>" in page
    )
    assert Signature.objects.count() == 0


def test_yes_signs_at_once_with_the_corrected_address_and_every_other_input_as_typed(
    campaign, sign, client, deliver_outbox
):
    prompt = sign(
        campaign,
        first_name="Asha",
        last_name="Patel",
        email="Asha.Patel@GMIAL.com",
        location="abroad",
        postcode="",
        country="IE",
        message="Please act <now>",
        show_name="on",
        contact_opt_in="on",
    )
    form = SignFormOnPage(prompt.content.decode())

    response = client.post("/c/letter/sign/", form.pressing("use_email"), REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.email, signature.email_domain) == ("Asha.Patel@gmail.com", "gmail.com")
    assert (signature.first_name, signature.last_name, signature.country) == ("Asha", "Patel", "IE")
    assert signature.message == "Please act <now>"
    assert signature.show_name and signature.contact_opt_in
    (message,) = deliver_outbox()
    assert message.to == ["Asha.Patel@gmail.com"]


def test_no_signs_at_once_with_the_address_as_typed(campaign, sign, client, deliver_outbox):
    form = SignFormOnPage(sign(campaign, email="asha@outlok.com", message="Keep this").content.decode())

    response = client.post("/c/letter/sign/", form.pressing("keep_email"), REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.email, signature.message) == ("asha@outlok.com", "Keep this")
    (message,) = deliver_outbox()
    assert message.to == ["asha@outlok.com"]


def test_yes_while_another_mistake_remains_puts_the_corrected_address_in_the_field(campaign, sign, client):
    form = SignFormOnPage(sign(campaign, email="asha@gmial.com", first_name="").content.decode())

    page = client.post("/c/letter/sign/", form.pressing("use_email")).content.decode()

    assert '<a href="#id_first_name">Enter your first name</a>' in page
    assert "Did you mean" not in page
    assert SignFormOnPage(page).data["email"] == "asha@gmail.com"
    assert Signature.objects.count() == 0


def test_no_is_remembered_while_another_mistake_is_fixed(campaign, sign, client):
    form = SignFormOnPage(sign(campaign, email="asha@outlok.com", postcode="").content.decode())
    page = client.post("/c/letter/sign/", form.pressing("keep_email")).content.decode()
    assert "Did you mean" not in page
    assert "Enter your postcode" in page

    again = SignFormOnPage(page).pressing() | {"postcode": "BN1 1AA"}
    response = client.post("/c/letter/sign/", again, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    assert Signature.objects.get().email == "asha@outlok.com"


def test_an_address_changed_after_no_is_asked_about_afresh(campaign, sign):
    page = sign(campaign, email="asha@hotmial.com", keep_email="asha@outlok.com").content.decode()

    assert "Did you mean asha@hotmail.com?" in page
    assert Signature.objects.count() == 0


def test_keeping_a_mistyped_address_that_is_also_disposable_is_refused_saying_why(campaign, sign):
    # Typo domains of the large providers are often registered to catch mail: gmial.com is on the list.
    page = sign(campaign, email="asha@gmial.com", keep_email="asha@gmial.com").content.decode()

    assert "We cannot accept addresses at gmial.com, which gives out short-lived inboxes" in page
    assert Signature.objects.count() == 0


def test_answering_the_prompt_at_once_is_not_too_fast_as_the_clock_runs_from_the_first_visit(
    campaign, sign, client, settings
):
    settings.SIGN_FORM_MIN_SECONDS = 3
    first_visit = form_clock(campaign, seconds_ago=10)
    form = SignFormOnPage(sign(campaign, email="asha@gmial.com", started=first_visit).content.decode())
    assert started_at(form.data["started"]) == started_at(first_visit)

    response = client.post("/c/letter/sign/", form.pressing("use_email"), REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    assert Signature.objects.get().email == "asha@gmail.com"


def started_at(clock):
    return signing.Signer(salt=FORM_CLOCK_SALT).unsign(clock).split(":")[2]


def test_a_form_loaded_by_one_visitor_is_refused_from_another(campaign, client):
    # A script loads the page once and signs with its clock from many sessions: each needs its own.
    page = client.get("/c/letter/").content.decode()
    form = valid_form(campaign) | {"started": re.search(r'name="started" value="([^"]+)"', page).group(1)}

    response = Client().post("/c/letter/sign/", form, REMOTE_ADDR="203.0.113.7")

    assert "This form had expired." in response.content.decode()
    assert Signature.objects.count() == 0
    assert client.post("/c/letter/sign/", form, REMOTE_ADDR="203.0.113.7").status_code == 302


@pytest.mark.parametrize("clock", ["garbage", "expired", "other campaign"])
def test_a_form_sent_back_without_a_running_clock_gets_a_fresh_one(campaign, make_campaign, sign, clock):
    started = {
        "garbage": "garbage",
        "expired": form_clock(campaign, seconds_ago=3 * 86400),
        "other campaign": form_clock(make_campaign(slug="other")),
    }[clock]

    page = sign(campaign, email="asha@gmial.com", started=started).content.decode()

    rendered = SignFormOnPage(page).data["started"]
    campaign_pk, _, started_at = signing.Signer(salt=FORM_CLOCK_SALT).unsign(rendered).split(":")
    assert campaign_pk == str(campaign.pk)
    assert time.time() - int(started_at) < 5


def test_one_visitors_mistakes_and_answers_never_reach_the_next_visitors_form(campaign, sign):
    """Sign forms share their fields (petition.forms.SharedFields): nothing one form shows may change another."""

    def blank_form():
        page = Client().get(f"/c/{campaign.slug}/sign/").content.decode()
        # Each visitor's own CSRF token and form clock aside, every visitor gets the same form.
        return re.sub(r'(name="(csrfmiddlewaretoken|started)" value=")[^"]*', r"\1…", page)

    before = blank_form()
    mistaken = sign(
        campaign, client=Client(), first_name="Mistaken", email="not an address", location="abroad", country="FR"
    )
    assert mistaken.status_code == 200
    assert 'aria-invalid="true"' in mistaken.content.decode() and "Mistaken" in mistaken.content.decode()

    after = blank_form()
    assert after == before
    assert "Mistaken" not in after and 'aria-invalid="true"' not in after
    assert SignForm(campaign=campaign).fields == SignForm.base_fields
