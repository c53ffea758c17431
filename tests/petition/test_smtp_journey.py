"""Sign, receive the email over real SMTP, confirm, count, withdraw: the whole loop."""

from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from petition import counting
from petition.models import OutgoingEmail, Signature

pytestmark = pytest.mark.slow  # a real SMTP server and the worker, end to end


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_sign_confirm_by_email_and_withdraw_over_real_smtp(campaign, sign, client, smtp_server, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    settings.OUTBOX_NUDGE_SECONDS = 0  # the worker below runs once, with no time to wait
    settings.DEFAULT_FROM_EMAIL = "Open letter <letter@example.org>"

    sign(campaign, first_name="Asha", email="Asha.Patel@Example.org")
    run_worker()

    (recipients, message), *others = smtp_server.messages
    assert others == []
    assert recipients == ["Asha.Patel@example.org"]
    assert message["From"] == "Open letter <letter@example.org>"
    assert message["Subject"] == "Please confirm your signature: Keep children safe online"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Please confirm your signature on the open letter")
    confirm_path = urlsplit(next(w for w in text.split() if "/confirm/" in w)).path
    withdraw_path = urlsplit(next(w for w in text.split() if "/withdraw/" in w)).path
    assert confirm_path in html and withdraw_path in html
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT

    assert urlsplit(client.post(confirm_path).headers["Location"]).path == "/c/letter/thanks/"
    assert counting.totals(campaign).count == 1
    assert 'data-count="1"' in client.get("/c/letter/").content.decode()

    client.post(withdraw_path)
    assert counting.totals(campaign).count == 0
    assert not Signature.objects.exists()
    assert 'data-count="0"' in client.get("/c/letter/").content.decode()
