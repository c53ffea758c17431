"""The campaign page under a read storm: rendered once every few seconds, yet every visitor can sign from it."""

import gzip
import re
import time

from django.test import Client

from petition.models import Signature

from .conftest import valid_form


def hidden(page, name):
    return re.search(rf'name="{name}" value="([^"]+)"', page).group(1)


def test_visitors_of_a_cached_page_each_get_their_own_working_csrf_token_and_a_fresh_clock(
    campaign, settings, time_machine, django_assert_num_queries
):
    settings.SIGN_FORM_MIN_SECONDS = 3
    # Stop the clock where it is: the campaign opened a day before today, whatever today is.
    time_machine.move_to(time.time(), tick=False)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page = first.get("/c/letter/").content.decode()

    time_machine.shift(1.5)  # still within PAGE_CACHE_SECONDS: the second visitor gets the same render
    with django_assert_num_queries(0):
        second_page = second.get("/c/letter/").content.decode()

    assert "placeholder" not in second_page
    assert hidden(first_page, "csrfmiddlewaretoken") != hidden(second_page, "csrfmiddlewaretoken")
    # The clock starts when this visitor loaded the page, not when it was rendered.
    time_machine.shift(2)
    for client, page, email in ((first, first_page, "one@example.org"), (second, second_page, "two@example.org")):
        form = valid_form(campaign) | {
            "email": email,
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
            "started": hidden(page, "started"),
        }
        response = client.post("/c/letter/sign/", form, REMOTE_ADDR="203.0.113.9")
        if client is first:
            assert response.status_code == 302
        else:
            # 3.5 s after the first visitor loaded it, but only 2 s after the second did: too fast.
            assert response.status_code == 200
            assert "quicker than we expected from a person" in response.content.decode()
    assert list(Signature.objects.values_list("email", flat=True)) == ["one@example.org"]


def test_the_count_on_the_page_is_at_most_a_few_seconds_behind(campaign, confirmed, client, settings, time_machine):
    time_machine.move_to(time.time(), tick=False)
    assert 'data-count="0"' in client.get("/c/letter/").content.decode()

    confirmed(campaign)

    assert 'data-count="0"' in client.get("/c/letter/").content.decode()
    time_machine.shift(settings.PAGE_CACHE_SECONDS + settings.COUNT_CACHE_SECONDS + 0.1)
    assert 'data-count="1"' in client.get("/c/letter/").content.decode()


def test_each_address_has_its_own_render(campaign, make_campaign, client):
    make_campaign(slug="another", title="Another letter")

    assert "Another letter" not in client.get("/c/letter/").content.decode()
    assert "Another letter" in client.get("/c/another/").content.decode()


def test_a_browser_that_takes_gzip_gets_the_same_page_compressed_with_its_own_token(campaign, settings):
    settings.PAGE_CACHE_SECONDS = 60
    plain = Client().get("/c/letter/?s=whatsapp").content.decode()
    first, second = (Client().get("/c/letter/?s=whatsapp", HTTP_ACCEPT_ENCODING="br, gzip") for _ in range(2))

    assert first["Content-Encoding"] == "gzip" and "Accept-Encoding" in first["Vary"]
    pages = [gzip.decompress(response.content).decode() for response in (first, second)]
    assert len(first.content) < len(pages[0]) / 3
    without_tokens = [re.sub(r'value="[^"]{20,}"', "", page) for page in (plain, *pages)]
    assert without_tokens[0] == without_tokens[1] == without_tokens[2]
    assert hidden(pages[0], "csrfmiddlewaretoken") != hidden(pages[1], "csrfmiddlewaretoken")
    assert hidden(pages[0], "source") == "whatsapp"


def test_the_visitors_own_fields_come_after_the_footer_and_belong_to_the_sign_form(campaign):
    page = Client().get("/c/letter/").content.decode()

    form = re.search(r'<form [^>]*id="sign-form"[^>]*>', page)
    footer_end = page.index("</footer>")
    assert form and 'action="/c/letter/sign/"' in form.group()
    for name in ("csrfmiddlewaretoken", "started", "source"):
        field = re.search(rf'<input type="hidden" name="{name}" value="[^"]*" form="sign-form">', page)
        assert field and field.start() > footer_end, name
        assert page.count(f'name="{name}"') == 1, name


def test_a_closed_campaigns_page_has_no_visitor_fields_and_is_still_compressed(make_campaign):
    make_campaign(slug="closed", status="closed")

    response = Client().get("/c/closed/", HTTP_ACCEPT_ENCODING="gzip")
    page = gzip.decompress(response.content).decode()

    assert response.status_code == 200 and "</html>" in page
    assert "csrfmiddlewaretoken" not in page and 'form="sign-form"' not in page
