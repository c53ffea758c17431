"""The delivery pack's print page: a GET says what it holds, only the POST opens it, and each opening is audited."""

import pytest

from petition.models import AuditEntry

PRINT = "/staff/c/letter/delivery/print/"


def test_the_print_link_shows_what_the_pack_holds_and_a_button(campaign, confirmed, manager, settings):
    settings.COUNT_CACHE_SECONDS = 0
    confirmed(campaign, show_name="on")

    page = manager.get(PRINT).content.decode()

    assert "<h1>Print the delivery pack</h1>" in page
    assert "the count of <strong>1</strong> verified signature (confirmed by email, not invalidated)" in page
    assert "the signatories' names and areas" in page and "Email addresses and full postcodes are never in it" in page
    assert "writes an entry in the audit log" in page
    assert '<form method="post">' in page and 'name="csrfmiddlewaretoken"' in page
    assert "Asha Patel" not in page


def test_opening_the_print_link_writes_no_audit_entry(campaign, confirmed, manager):
    confirmed(campaign, show_name="on")

    manager.get(PRINT)
    manager.head(PRINT)

    assert not AuditEntry.objects.exists()


def test_the_button_opens_the_pack_and_audits_it(campaign, confirmed, manager):
    confirmed(campaign, show_name="on")

    response = manager.post(PRINT)

    assert "<li>Asha Patel, Brighton</li>" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.action, entry.count) == ("manager", "export", 1)
    assert entry.details["kind"] == "delivery pack"


def test_the_button_needs_the_pages_csrf_token(campaign, confirmed, manager):
    confirmed(campaign, show_name="on")
    manager.handler.enforce_csrf_checks = True

    assert manager.post(PRINT).status_code == 403
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_moderator_is_told_which_permission_the_print_page_needs(campaign, moderator, method):
    response = getattr(moderator, method)(PRINT)

    assert response.status_code == 403
    assert "Campaign managers have it" in response.content.decode()
