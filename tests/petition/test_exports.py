"""The signature list for delivery: right rows, safe cells, flat memory, permitted staff only, audited."""

import csv
import io
import tracemalloc
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from petition.exports import spreadsheet_safe
from petition.models import AuditEntry, Signature
from tests.conftest import sign_in

EXPORT = "/staff/c/letter/export/"


def download(client, columns):
    response = client.post(EXPORT, {"columns": columns})
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content).decode("utf-8")
    return response, body


def bulk_signatures(campaign, count, confirmed_at=None, **fields):
    now = confirmed_at or timezone.now()
    Signature.objects.bulk_create(
        (
            Signature(
                campaign=campaign,
                status="confirmed",
                confirmed_at=now,
                first_name=fields.get("first_name", "Asha"),
                last_name=f"Patel{i}",
                email=f"s{i}@example.org",
                mailbox=f"s{i}@example.org",
                email_domain="example.org",
                postcode="BN1 1AA",
                region="south-east",
                consent_version="test",
            )
            for i in range(count)
        ),
        batch_size=5000,
    )


def test_the_export_lists_confirmed_signatures_with_the_chosen_columns(campaign, stored, sign, manager):
    stored(campaign, first_name="Asha", last_name="Patel", email="a@example.org", postcode="EH1 1YZ", show_name="on")
    sign(campaign, email="pending@example.org", show_name="on")

    response, body = download(manager, ["name", "postcode_district", "postcode_area", "region", "country", "signed"])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="letter-signatures-{timezone.localdate()}.csv"'
    assert body.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert lines == [
        ["Name", "Postcode district", "Postcode area", "Region", "Country", "Signed on"],
        ["Asha Patel", "EH1", "EH", "Scotland", "United Kingdom", timezone.localdate().isoformat()],
    ]
    assert "a@example.org" not in body and "pending" not in body


def test_the_signing_day_is_the_day_in_the_uk(campaign, manager):
    # 23:30 UTC on a summer evening is 00:30 the next morning in London.
    bulk_signatures(campaign, 1, confirmed_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC))

    _, body = download(manager, ["signed"])

    assert body.removeprefix("\ufeff").splitlines() == ["Signed on", "2026-07-02"]


def test_cells_that_a_spreadsheet_would_run_are_neutralised(campaign, stored, manager):
    # (A name carrying a link or an address is never in the export at all: petition.names.)
    stored(campaign, first_name='=CONCAT("A",1)', last_name="+1", email="a@example.org", show_name="on")
    stored(campaign, first_name="-SUM(A1)", last_name="-2", email="b@example.org", show_name="on")

    _, body = download(manager, ["name"])

    names = [line[0] for line in csv.reader(io.StringIO(body.removeprefix("\ufeff")))][1:]
    assert all(not name.startswith(("=", "+", "-", "@")) for name in names)
    assert sorted(names) == ["'-SUM(A1) -2", '\'=CONCAT("A",1) +1']


@pytest.mark.parametrize(
    "cell",
    [
        "=1+1",
        "+44 20 7946 0000",
        "-2",
        "@SUM(A1)",
        "|calc",
        "%0A",
        "\tfoo",
        "\rfoo",
        '＝HYPERLINK("http://x")',  # full-width equals sign
        "＋1",  # full-width plus
        "＠SUM(A1)",  # full-width commercial at
        "－2",  # full-width hyphen-minus
        "﹦1",  # small equals sign
        "\ufeff=1",  # a byte-order mark first
        "\u200b=1",  # zero-width space
        "\u200d\u2060+1",  # zero-width joiner, word joiner
        "\u202e=1",  # right-to-left override
        "  =1",
        "\u3000＝1",  # ideographic space, then a full-width sign
        "\xa0@x",  # no-break space
        "\n=1",
    ],
)
def test_a_cell_that_could_start_a_formula_however_disguised_is_neutralised(cell):
    assert spreadsheet_safe(cell) == f"'{cell}"


@pytest.mark.parametrize("cell", ["", "Asha Patel", "O'Brien", "Zoë", "a=b", "1-2", "Łódź", "\u200b", "名前"])
def test_an_ordinary_cell_is_left_as_it_is(cell):
    assert spreadsheet_safe(cell) == cell


def test_disguised_formulas_in_names_and_messages_are_neutralised_in_the_export(campaign, stored, manager):
    signature = stored(
        campaign,
        first_name='\ufeff＝CONCAT("A",1)',
        last_name="Patel",
        email="a@example.org",
        message="x",
        show_name="on",
    )
    Signature.objects.filter(pk=signature.pk).update(message="\u200b＠SUM(A1)", message_status="approved")

    _, body = download(manager, ["name", "message"])

    (row,) = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))[1:]
    assert row == ['\'\ufeff＝CONCAT("A",1) Patel', "'\u200b＠SUM(A1)"]


def test_only_approved_messages_are_exported(campaign, stored, manager):
    approved = stored(campaign, email="a@example.org", message="Please act")
    stored(campaign, email="b@example.org", message="Not yet read")
    Signature.objects.filter(pk=approved.pk).update(message_status="approved")

    _, body = download(manager, ["message"])

    assert "Please act" in body and "Not yet read" not in body


def test_every_export_is_audited(campaign, stored, manager):
    stored(campaign)

    download(manager, ["name", "region"])

    entry = AuditEntry.objects.get()
    assert (entry.username, entry.action, entry.count, entry.campaign) == ("manager", "export", 1, campaign)
    assert entry.details["columns"] == ["name", "region"]


def test_the_export_page_says_what_will_be_exported_and_posts_to_download(campaign, stored, manager, settings):
    settings.COUNT_CACHE_SECONDS = 0
    stored(campaign, email="a@example.org")
    stored(campaign, email="b@example.org")

    page = manager.get(EXPORT).content.decode()

    assert "the <strong>2</strong> verified signatures of <strong>Keep children safe online</strong>" in page
    assert "Signatures waiting for confirmation, invalidated or withdrawn are left out" in page
    assert "email addresses" in page and "writes an entry in the audit log" in page
    assert "<dt>Postcode district</dt><dd>The first half of the postcode" in page
    assert '<form method="post">' in page and 'name="csrfmiddlewaretoken"' in page
    assert '<input type="submit" value="Download CSV">' in page


@pytest.mark.parametrize("query", [{}, {"columns": ["name", "region"], "download": "1"}])
def test_opening_the_export_page_exports_nothing_and_writes_no_audit_entry(campaign, stored, manager, query):
    stored(campaign)

    response = manager.get(EXPORT, query)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Asha Patel" not in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_the_download_needs_the_pages_csrf_token(campaign, stored, manager):
    stored(campaign)
    manager.handler.enforce_csrf_checks = True

    response = manager.post(EXPORT, {"columns": ["name"]})

    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_a_download_without_a_column_shows_the_page_again(campaign, manager):
    response = manager.post(EXPORT, {})

    assert "Choose at least one column" in response.content.decode()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("groups", [[], ["Moderators"]])
def test_staff_without_the_export_permission_cannot_export(campaign, stored, groups):
    user = User.objects.create_user("someone", password="x", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    client = Client()
    sign_in(client, user)
    stored(campaign)

    assert client.get(EXPORT).status_code == 403
    assert client.post(EXPORT, {"columns": ["name"]}).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_public_cannot_reach_the_export(campaign, client):
    response = client.post(EXPORT, {"columns": ["name"]})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.slow
def test_a_hundred_thousand_rows_stream_in_flat_memory(campaign, manager):
    bulk_signatures(campaign, 100_000)
    response = manager.post(EXPORT, {"columns": ["name", "postcode_district", "region", "signed"]})

    tracemalloc.start()
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert lines == 100_001
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
