"""Updates in a real browser on a phone: a campaign manager writes one, previews it and sends it; a supporter reads
it on the site and stops the updates with the button. Every page passes axe and fits 360 px."""

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from petition import emails, suppression
from petition.models import Signature, Suppression, Update

from .test_moderation import accessible_at_both_widths, as_staff

pytestmark = pytest.mark.browser


def test_a_manager_sends_an_update_and_a_supporter_reads_it_and_stops_the_updates(
    phone, live_server, real_campaign, manager, accessibility_violations, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.UPDATE_EMAILS_PER_MINUTE = 0
    manager.user.email = "manager@charity.example"
    manager.user.save()
    signer = Signature.objects.create(
        campaign=real_campaign,
        status="confirmed",
        confirmed_at=timezone.now(),
        first_name="Asha",
        last_name="Patel",
        email="asha@example.org",
        mailbox="asha@example.org",
        email_domain="example.org",
        region="south-east",
        contact_opt_in=True,
        consent_version="test",
    )
    page = as_staff(phone, manager, live_server)

    page.goto(live_server.url + "/admin/petition/update/add/")
    page.get_by_label("Campaign").select_option(str(real_campaign.pk))
    page.get_by_label("Title").fill("We delivered your letter")
    page.get_by_label("Body").fill("Thank you: **over 1,000** of you signed.\n\n- It was read\n- It was answered")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.locator(".update-preview strong")).to_have_text("over 1,000")
    accessible_at_both_widths(page, accessibility_violations)
    page.get_by_role("button", name="Send me a test").click()
    expect(page.get_by_text("A test is on its way to manager@charity.example")).to_be_visible()
    page.get_by_label("Only those who asked to hear about the campaign's progress: 1").check()
    page.get_by_role("button", name="Send the update").click()
    expect(page.get_by_text("Sending has started.")).to_be_visible()
    accessible_at_both_widths(page, accessibility_violations)

    emails.send_due()
    update = Update.objects.get()
    assert sorted(message.to[0] for message in mail.outbox) == ["asha@example.org", "manager@charity.example"]

    page.goto(live_server.url + update.get_absolute_url())
    expect(page.get_by_role("heading", name="We delivered your letter")).to_be_visible()
    accessible_at_both_widths(page, accessibility_violations)

    page.goto(f"{live_server.url}/u/{suppression.unsubscribe_token(signer)}/")
    accessible_at_both_widths(page, accessibility_violations)
    assert not Suppression.objects.exists()
    page.get_by_role("button", name="Stop the updates").click()
    expect(page.get_by_role("heading", name="You will get no more updates")).to_be_visible()
    accessible_at_both_widths(page, accessibility_violations)
    assert Suppression.objects.get().mailbox == "asha@example.org"
