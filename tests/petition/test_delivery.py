"""The delivery pack handed to the minister: a page to print, and PDFs built in the background."""

import io
import logging
import re
import sys
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
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
    campaign, make_ask, stored, manager, settings
):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    make_ask(campaign, title="Name a manager for children's safety")
    stored(campaign, first_name="Asha", last_name="Patel", email="a@example.org", postcode="EH1 1YZ", show_name="on")
    stored(campaign, first_name="Hidden", last_name="Person", email="b@example.org")

    page = manager.post(PRINT).content.decode()

    assert "An open letter to A. Minister MP, Secretary of State" in page
    assert "To A. Minister MP, Secretary of State" in page
    assert "Please act." in page
    assert "Name a manager for children&#x27;s safety" in page
    assert "<strong>2</strong> people signed" in page
    assert "1 of them is named, as they agreed to be; everyone who signed is counted." in page
    assert "<td>Scotland</td><td>1</td>" in page
    assert "<h3>Scotland</h3>" in page and "<li>Asha Patel, Edinburgh</li>" in page
    # Whoever did not tick "Name me" is counted, not named, as the form says; no email address is shown.
    assert "Hidden" not in page and "Person" not in page
    assert "example.org" not in page


@pytest.mark.slow
def test_the_pdf_is_built_in_the_background_and_downloaded(campaign, stored, manager, immediate_tasks, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    stored(campaign, first_name="Asha", last_name="Patel", email="a@example.org", postcode="EH1 1YZ", show_name="on")
    stored(campaign, first_name="Hidden", last_name="Person", email="b@example.org")

    response = build_pdf(manager, immediate_tasks)

    assert response["Content-Type"] == "application/pdf"
    assert 'filename="letter-delivery-pack-' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "An open letter to A. Minister MP, Secretary of State" in text
    assert "people signed this open letter" in text
    assert "Asha Patel, Edinburgh" in text
    assert "Hidden" not in text and "example.org" not in text
    assert "Download" in manager.get(DELIVERY).content.decode()


@pytest.mark.slow
def test_a_large_pack_is_laid_out_in_parts_that_join_into_one_document_numbered_page_n_of_m(
    campaign, stored, manager, immediate_tasks, monkeypatch
):
    monkeypatch.setattr(delivery, "NAMES_PER_PART", 2)
    monkeypatch.setattr(delivery, "FOLIO_PAGES", 3)
    for n in range(5):
        stored(campaign, first_name=f"Signer{n}", last_name="Named", email=f"s{n}@example.org", show_name="on")
    stored(campaign, first_name="Signer5", last_name="Unnamed", email="s5@example.org")

    pdf = build_pdf(manager, immediate_tasks).content

    pack = DeliveryPack.objects.get()
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert (pack.named_total, pack.named_done, pack.pages) == (5, 5, len(pages))
    assert len(pages) >= 4  # the cover, then a page at least for each of the three parts
    # Numbered right across the parts, on every page and only once on each.
    for number, text in enumerate(pages, start=1):
        assert re.findall(r"Page \d+ of \d+", text) == [f"Page {number} of {len(pages)}"]
    text = "\n".join(pages)
    places = [text.index(f"Signer{n} Named") for n in range(5)]
    assert places == sorted(places)
    assert text.count(" Named,") == 5 and "Unnamed" not in text
    assert "1. 2." in text and "3. 4." in text and "5." in text
    assert "(continued)" in text


def test_the_page_shows_progress_and_refreshes_itself_while_a_pack_is_being_built(campaign, manager):
    DeliveryPack.objects.create(campaign=campaign, named_total=40_000, named_done=10_000)

    page = manager.get(DELIVERY).content.decode()

    assert '<meta http-equiv="refresh" content="5">' in page
    assert '<progress max="100" value="25">' in page
    assert "Download" not in page


def test_a_failed_build_says_so_and_logs_no_personal_data(
    campaign, stored, manager, immediate_tasks, monkeypatch, caplog
):
    stored(campaign, first_name="Asha", last_name="Patel", email="a@example.org", show_name="on")

    def broken(html):
        raise RuntimeError(html)

    monkeypatch.setattr(delivery, "_render", broken)
    with caplog.at_level(logging.ERROR):
        immediate_tasks(manager)

    assert DeliveryPack.objects.get().status == DeliveryPack.Status.FAILED
    assert "Failed: please build it again" in manager.get(DELIVERY).content.decode()
    assert "Delivery pack" in caplog.text and "Patel" not in caplog.text


def test_without_the_pdf_extra_the_page_says_what_to_install_and_the_print_page_still_works(
    campaign, stored, manager, immediate_tasks, monkeypatch
):
    stored(campaign, first_name="Asha", last_name="Patel", email="a@example.org", show_name="on")
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
def test_only_the_newest_packs_are_kept(campaign, stored, manager, immediate_tasks):
    stored(campaign, show_name="on")
    for _ in range(DeliveryPack.KEEP + 2):
        immediate_tasks(manager)

    assert DeliveryPack.objects.count() == DeliveryPack.KEEP


@pytest.mark.slow
def test_every_pack_and_download_is_audited(campaign, stored, manager, immediate_tasks):
    stored(campaign, show_name="on")
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
def test_erasing_a_named_signer_removes_packs_that_may_hold_their_name(campaign, stored, manager, immediate_tasks):
    signature = stored(campaign, show_name="on")
    build_pdf(manager, immediate_tasks)

    standing.erase(Signature.objects.filter(pk=signature.pk), user=manager.user)

    assert not DeliveryPack.objects.exists()


@pytest.mark.slow
def test_retention_removes_the_packs(campaign, stored, manager, immediate_tasks):
    stored(campaign, show_name="on")
    build_pdf(manager, immediate_tasks)

    retention.anonymise(campaign)

    assert not DeliveryPack.objects.exists()


def test_a_build_whose_worker_died_says_to_build_again_and_stops_refreshing(campaign, manager, time_machine):
    DeliveryPack.objects.create(campaign=campaign, named_total=40_000, named_done=10_000)
    time_machine.move_to(timezone.now() + DeliveryPack.STALLED_AFTER + timedelta(minutes=1))

    page = manager.get(DELIVERY).content.decode()

    assert "Stopped before it finished: please build it again" in page
    assert "http-equiv" not in page and "<progress" not in page


# One named signer in each script a UK signer may write in, and a few accented Latin ones, in several regions;
# listed in the order the pack gives them: by nation and region in the site's order, by surname then first name.
SIGNERS_IN_PACK_ORDER = [
    ("Ann", "Avery", "LE1 1AA"),  # East Midlands
    ("Rosa", "Ávila", "LE1 1AA"),  # an accent does not send Ávila after Bevan
    ("Tom", "Bevan", "LE1 1AA"),
    ("प्रिया", "पटेल", "LE1 1AA"),  # Devanagari
    ("Zoë", "Abbott", "E1 6AN"),  # London
    ("Νίκος", "Παπαδόπουλος", "E1 6AN"),  # Greek
    ("أحمد", "الرشيد", "E1 6AN"),  # Arabic
    ("রহিমা", "বেগম", "E1 6AN"),  # Bengali
    ("芳", "王", "E1 6AN"),  # Chinese
    ("Gwenllian", "ap Rhys", "CF10 1AA"),  # Wales
    ("Siân", "Llŷr", "CF10 1AA"),  # Welsh
    ("Ольга", "Иванова", "EH1 1YZ"),  # Scotland, Cyrillic
]


@pytest.fixture
def signers_in_every_script(campaign, stored, settings):
    settings.COUNT_CACHE_SECONDS = settings.PAGE_CACHE_SECONDS = 0
    # Signed in an order unlike the pack's, each from an address of its own (as many signing from one
    # would meet its limit), and with one who did not agree to be named.
    for n, (first, last, postcode) in sorted(enumerate(SIGNERS_IN_PACK_ORDER), key=lambda item: item[1][1][::-1]):
        fields = {"first_name": first, "last_name": last, "postcode": postcode, "show_name": "on"}
        stored(campaign, email=f"s{n}@example.org", ip=f"203.0.113.{n + 10}", **fields)
    stored(campaign, first_name="Hidden", last_name="Aaron", postcode="E1 6AN", email="hidden@example.org")
    return [f"{first} {last}" for first, last, _ in SIGNERS_IN_PACK_ORDER]


def test_names_are_grouped_by_nation_and_region_and_sorted_by_surname(signers_in_every_script, manager):
    page = manager.post(PRINT).content.decode()

    places = [page.index(f"<li>{name}, ") for name in signers_in_every_script]
    assert places == sorted(places)
    headings = re.findall(r"<h[34]>([^<]+)</h[34]>", page)
    assert headings == ["England", "East Midlands", "London", "Wales", "Scotland"]
    assert page.index("<h4>London</h4>") < page.index("Zoë Abbott") and "Hidden" not in page
    assert '<ol start="5">' in page  # numbered on across the regions


def test_names_sort_without_regard_to_case_or_accents():
    names = ["Ávila", "bevan", "Avery", "Ångström", "Zola", "O'Brien", "Öztürk", "Obi"]

    assert sorted(names, key=delivery.sort_key) == [
        "Ångström",
        "Avery",
        "Ávila",
        "bevan",
        "O'Brien",
        "Obi",
        "Öztürk",
        "Zola",
    ]


def test_the_cover_names_the_organiser_when_the_campaign_has_one(campaign):
    from campaign.models import Organiser

    without = render_to_string("petition/staff/delivery_pack.html", delivery.context(campaign))
    campaign.organiser = Organiser.objects.create(name="Children First")
    campaign.save()
    with_organiser = render_to_string("petition/staff/delivery_pack.html", delivery.context(campaign))

    assert '<p class="organiser">From Children First</p>' in with_organiser
    assert 'class="organiser"' not in without
    assert "A. Minister MP" in without and "people signed" in without and '<p class="date">' in without


@pytest.mark.slow
def test_the_pdf_holds_every_name_in_every_script_in_order_with_a_glyph_for_every_letter(
    signers_in_every_script, manager, immediate_tasks, caplog
):
    with caplog.at_level(logging.WARNING):
        text = pdf_text(build_pdf(manager, immediate_tasks).content)

    places = [text.index(name) for name in signers_in_every_script]
    assert places == sorted(places)
    assert "Hidden" not in text
    # WeasyPrint warns of every character that no font has (the pack counts them, without saying which).
    assert "had no font" not in caplog.text and ".notdef" not in caplog.text


@pytest.mark.slow
def test_a_letter_no_font_has_is_counted_in_the_log_but_not_written_there(
    campaign, stored, manager, immediate_tasks, caplog
):
    stored(campaign, first_name="Asha", last_name="Pa\ue000tel", show_name="on")  # a private-use character

    with caplog.at_level(logging.DEBUG):
        build_pdf(manager, immediate_tasks)

    assert "1 characters had no font" in caplog.text and "fonts-noto-core" in caplog.text
    assert "\ue000" not in caplog.text and "U+E000" not in caplog.text and "Patel" not in caplog.text


@pytest.mark.slow
def test_no_name_appears_in_any_log_record_while_a_pack_is_built(
    signers_in_every_script, manager, immediate_tasks, caplog
):
    # Everything logged anywhere, at every level the configured loggers let through.
    with caplog.at_level(logging.DEBUG):
        build_pdf(manager, immediate_tasks)

    logged = "\n".join(f"{record.name} {record.getMessage()} {record.args!r}" for record in caplog.records)
    assert caplog.records  # the build logs, but nothing of anyone's name
    letters = {char for name in signers_in_every_script for char in name if not char.isascii() and char.isalpha()}
    for name in signers_in_every_script:
        assert all(part not in logged for part in name.split())
    assert not letters & set(logged)
    assert not [record for record in caplog.records if record.name.startswith(("weasyprint", "fontTools"))]
