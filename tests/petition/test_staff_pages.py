"""Every staff page in the admin's frame, linked from the admin home for whoever may open it, and 403s that say why."""

import pytest

HOME = "/admin/"


def test_moderators_find_the_overview_and_the_queue_on_the_admin_home(campaign, confirmed, moderator):
    confirmed(campaign, email="a@example.org", message="Waiting")

    page = moderator.get(HOME).content.decode()

    assert 'href="/admin/petition/signature/overview/">Moderation overview</a>' in page
    assert 'href="/admin/petition/signature/queue/">Moderation queue</a>: 1 message waiting' in page
    assert "/export/" not in page and "/delivery/" not in page


def test_campaign_managers_find_the_export_and_the_delivery_pack_of_each_campaign(campaign, make_campaign, manager):
    make_campaign(slug="draft", title="Not yet public", status="draft")

    page = manager.get(HOME).content.decode()

    assert f'href="/staff/c/{campaign.slug}/export/">export the signatures</a>' in page
    assert f'href="/staff/c/{campaign.slug}/delivery/">delivery pack</a>' in page
    assert "/staff/c/draft/" not in page
    assert "Moderation overview" in page  # they may view signatures
    assert "Moderation queue" not in page


def test_staff_in_no_role_see_no_staff_links(campaign, staff):
    page = staff().get(HOME).content.decode()

    assert "Moderation and delivery" not in page


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/staff/c/letter/export/", "Export the verified signatures"),
        ("/staff/c/letter/delivery/", "Deliver the letter"),
    ],
)
def test_the_export_and_delivery_pages_are_in_the_admins_frame(campaign, manager, path, title):
    page = manager.get(path).content.decode()

    assert '<div id="site-name"><a href="/admin/">Open letter administration</a></div>' in page
    assert "Django administration" not in page
    assert 'id="logout-form"' in page and "Welcome," in page
    assert '<ol class="breadcrumbs">' in page
    assert f'<li aria-current="page">{title}</li>' in page
    assert f"<h1>{title}</h1>" in page
    assert "/static/css/staff" in page


@pytest.mark.parametrize("path", ["/staff/c/letter/export/", "/staff/c/letter/delivery/"])
def test_a_moderator_opening_the_export_is_told_which_permission_is_missing(campaign, moderator, path):
    response = moderator.get(path)

    assert response.status_code == 403
    page = response.content.decode()
    assert "You need the “Can export signatures and delivery packs” permission (Campaign managers have it)." in page
    assert "Open letter administration" in page and 'id="logout-form"' in page


def test_staff_in_no_role_opening_the_overview_are_told_which_permission_is_missing(campaign, staff):
    response = staff().get("/admin/petition/signature/overview/")

    assert response.status_code == 403
    assert (
        "You need the “Can view signature” permission (Campaign managers and Moderators have it)."
        in response.content.decode()
    )


def test_a_refusal_by_the_admin_itself_is_in_the_admins_frame_too(campaign, staff):
    response = staff().get("/admin/petition/signature/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "Your account does not have the permission this page needs." in page
    assert "Open letter administration" in page


def test_someone_who_is_not_staff_gets_no_admin_frame(campaign, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("member"))

    response = client.get("/staff/c/letter/export/")

    assert response.status_code in (302, 403)
    assert "Open letter administration" not in response.content.decode()
