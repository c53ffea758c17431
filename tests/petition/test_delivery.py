"""The delivery pack handed to the minister: a page to print, and PDFs built in the background."""

import io
import logging
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from petition import delivery, retention, standing
from petition.models import AuditEntry, DeliveryPack, Signature

DELIVERY = "/staff/c/letter/delivery/"
PRINT = "/staff/c/letter/delivery/print/"


@pytest.fixture
def immediate_tasks(settings, django_capture_on_commit_callbacks):
    """Posts whose tasks run as soon as their transaction commits, as the worker would run them."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

    def post(client, url=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url or DELIVERY)

    return post


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def build_pdf(manager, post):
    """Ask for a PDF as a manager does, then download it once the worker has built it."""
    assert post(manager).status_code == 302
    pack = DeliveryPack.objects.get()
    assert pack.status == DeliveryPack.Status.READY
    return manager.get(f"{DELIVERY}{pack.pk}.pdf")


def test_the_print_page_has_the_letter_the_count_the_regions_and_the_named_signatories(
    campaign, make_ask, confirmed, manager, settings
):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    make_ask(campaign, title="Name a manager for children's safety")
    confirmed(campaign, first_name="Asha", last_name="Patel", email="a@example.org", postcode="EH1 1YZ", show_name="on")
    confirmed(campaign, first_name="Hidden", last_name="Person", email="b@example.org")

    page = manager.post(PRINT).content.decode()

    assert "To A. Minister MP, Secretary of State" in page
    assert "Please act." in page
    assert "Name a manager for children&#x27;s safety" in page
    assert "<strong>2</strong> people signed" in page
    assert "<td>Scotland</td><td>1</td>" in page
    assert "<li>Asha Patel, Edinburgh</li>" in page
    # Every signer's full name and area go to the recipient, as the form says; no email address does.
    assert "<li>Hidden Person, Brighton</li>" in page
    assert "example.org" not in page


@pytest.mark.slow
def test_the_pdf_is_built_in_the_background_and_downloaded(campaign, confirmed, manager, immediate_tasks, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    confirmed(campaign, first_name="Asha", last_name="Patel", email="a@example.org", postcode="EH1 1YZ", show_name="on")
    confirmed(campaign, first_name="Hidden", last_name="Person", email="b@example.org")

    response = build_pdf(manager, immediate_tasks)

    assert response["Content-Type"] == "application/pdf"
    assert 'filename="letter-delivery-pack-' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "To A. Minister MP, Secretary of State" in text
    assert "people signed this open letter" in text
    assert "Asha Patel, Edinburgh" in text
    assert "Hidden Person, Brighton" in text and "example.org" not in text
    assert "Download" in manager.get(DELIVERY).content.decode()


@pytest.mark.slow
def test_a_large_pack_is_laid_out_in_parts_that_join_into_one_numbered_document(
    campaign, confirmed, manager, immediate_tasks, monkeypatch
):
    monkeypatch.setattr(delivery, "NAMES_PER_PART", 2)
    for n in range(5):
        confirmed(campaign, first_name=f"Signer{n}", last_name="Named", email=f"s{n}@example.org", show_name="on")

    text = pdf_text(build_pdf(manager, immediate_tasks).content)

    pack = DeliveryPack.objects.get()
    assert (pack.named_total, pack.named_done) == (5, 5)
    assert pack.pages == len(PdfReader(io.BytesIO(bytes(pack.pdf))).pages) >= 3
    # Every name once, in signing order, numbered on across the parts.
    places = [text.index(f"Signer{n} Named") for n in range(5)]
    assert places == sorted(places)
    assert text.count(" Named,") == 5
    assert "1. 2." in text and "3. 4." in text and "5." in text
    assert "(continued)" in text
    assert [f"Page {n}" in text for n in range(1, pack.pages + 1)] == [True] * pack.pages


def test_the_page_shows_progress_and_refreshes_itself_while_a_pack_is_being_built(campaign, manager):
    DeliveryPack.objects.create(campaign=campaign, named_total=40_000, named_done=10_000)

    page = manager.get(DELIVERY).content.decode()

    assert '<meta http-equiv="refresh" content="5">' in page
    assert '<progress max="100" value="25">' in page
    assert "Download" not in page


def test_a_failed_build_says_so_and_logs_no_personal_data(
    campaign, confirmed, manager, immediate_tasks, monkeypatch, caplog
):
    confirmed(campaign, first_name="Asha", last_name="Patel", email="a@example.org", show_name="on")

    def broken(html, first_page):
        raise RuntimeError(html)

    monkeypatch.setattr(delivery, "_render", broken)
    with caplog.at_level(logging.ERROR):
        immediate_tasks(manager)

    assert DeliveryPack.objects.get().status == DeliveryPack.Status.FAILED
    assert "Failed: please build it again" in manager.get(DELIVERY).content.decode()
    assert "Delivery pack" in caplog.text and "Patel" not in caplog.text


def test_without_the_pdf_extra_the_page_says_what_to_install_and_the_print_page_still_works(
    campaign, confirmed, manager, immediate_tasks, monkeypatch
):
    confirmed(campaign, first_name="Asha", last_name="Patel", email="a@example.org", show_name="on")
    # As on a server installed without the pdf extra: neither package can be imported.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    monkeypatch.setitem(sys.modules, "pypdf", None)

    page = manager.get(DELIVERY).content.decode()
    response = immediate_tasks(manager)

    assert "This server cannot build PDFs yet." in page
    assert "uv sync --locked --extra pdf" in page
    assert "Build a new PDF" not in page
    assert response.status_code == 200
    assert not DeliveryPack.objects.exists()
    assert "<li>Asha Patel, Brighton</li>" in manager.post(PRINT).content.decode()


@pytest.mark.slow
def test_only_the_newest_packs_are_kept(campaign, confirmed, manager, immediate_tasks):
    confirmed(campaign, show_name="on")
    for _ in range(DeliveryPack.KEEP + 2):
        immediate_tasks(manager)

    assert DeliveryPack.objects.count() == DeliveryPack.KEEP


@pytest.mark.slow
def test_every_pack_and_download_is_audited(campaign, confirmed, manager, immediate_tasks):
    confirmed(campaign, show_name="on")
    manager.post(PRINT)
    build_pdf(manager, immediate_tasks)

    assert list(AuditEntry.objects.values_list("details__kind", "details__format", "username")) == [
        ("delivery pack download", "pdf", "manager"),
        ("delivery pack", "pdf", "manager"),
        ("delivery pack", "html", "manager"),
    ]


@pytest.mark.parametrize("role", ["moderator", "no_group"])
def test_only_campaign_managers_take_the_pack(role, campaign, staff, moderator):
    client = moderator if role == "moderator" else staff(username="nobody")
    pack = DeliveryPack.objects.create(
        campaign=campaign, status=DeliveryPack.Status.READY, finished_at=campaign.opens_at, pdf=b"%PDF-"
    )

    for url in (DELIVERY, PRINT, f"{DELIVERY}{pack.pk}.pdf"):
        assert client.get(url).status_code == 403
    assert client.post(DELIVERY).status_code == 403
    assert client.post(PRINT).status_code == 403
    assert DeliveryPack.objects.count() == 1


def test_a_pack_still_being_built_cannot_be_downloaded(campaign, manager):
    pack = DeliveryPack.objects.create(campaign=campaign)

    assert manager.get(f"{DELIVERY}{pack.pk}.pdf").status_code == 404


@pytest.mark.slow
def test_erasing_a_named_signer_removes_packs_that_may_hold_their_name(campaign, confirmed, manager, immediate_tasks):
    signature = confirmed(campaign, show_name="on")
    build_pdf(manager, immediate_tasks)

    standing.erase(Signature.objects.filter(pk=signature.pk), user=manager.user)

    assert not DeliveryPack.objects.exists()


@pytest.mark.slow
def test_retention_removes_the_packs(campaign, confirmed, manager, immediate_tasks):
    confirmed(campaign, show_name="on")
    build_pdf(manager, immediate_tasks)

    retention.anonymise(campaign)

    assert not DeliveryPack.objects.exists()


def test_a_build_whose_worker_died_says_to_build_again_and_stops_refreshing(campaign, manager, time_machine):
    DeliveryPack.objects.create(campaign=campaign, named_total=40_000, named_done=10_000)
    time_machine.move_to(timezone.now() + DeliveryPack.STALLED_AFTER + timedelta(minutes=1))

    page = manager.get(DELIVERY).content.decode()

    assert "Stopped before it finished: please build it again" in page
    assert "http-equiv" not in page and "<progress" not in page
