import re

from django.utils import timezone


def test_staff_edit_the_letter_with_its_asks_facts_and_stories_on_one_page(admin_client, real_campaign):
    response = admin_client.get(f"/admin/campaign/campaign/{real_campaign.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="asks-TOTAL_FORMS" value="5"' in page
    assert 'name="facts-TOTAL_FORMS" value="6"' in page
    assert 'name="stories-TOTAL_FORMS" value="1"' in page
    assert "Put children at the heart of the Online Safety Bill" in page


def submitted_as_is(context):
    """The POST data a browser would send for an admin change form left unchanged."""
    forms = [context["adminform"].form]
    data = {}
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data |= {formset.management_form.add_prefix(k): v for k, v in formset.management_form.initial.items()}
        forms += formset.forms
    for form in forms:
        for name, field in form.fields.items():
            for key, value in _widget_values(form, name, field):
                data[key] = value
    return data


def _widget_values(form, name, field):
    value = form.initial.get(name, field.initial)
    bound = form.add_prefix(name)
    if isinstance(value, bool) or value is None:
        return [(bound, "on")] if value else []
    if hasattr(value, "strftime") and hasattr(value, "hour"):  # split date and time inputs
        local = timezone.localtime(value)
        return [(f"{bound}_0", local.strftime("%d/%m/%Y")), (f"{bound}_1", local.strftime("%H:%M:%S"))]
    return [(bound, getattr(value, "pk", value))]


def test_staff_change_the_letter_without_touching_code(admin_client, real_campaign):
    url = f"/admin/campaign/campaign/{real_campaign.pk}/change/"
    data = submitted_as_is(admin_client.get(url).context) | {"title_en_gb": "A clearer title"}

    response = admin_client.post(url, data)

    assert response.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode())
    real_campaign.refresh_from_db()
    assert real_campaign.title == "A clearer title"
    assert real_campaign.opens_at.isoformat() == "2026-11-23T09:00:00+00:00"
    assert real_campaign.asks.count() == 5
    assert real_campaign.facts.count() == 6


def test_staff_see_the_verified_count_in_the_campaign_list(admin_client, real_campaign):
    from petition import counting

    counting.add(real_campaign.pk, "london", 1234)

    page = admin_client.get("/admin/campaign/campaign/").content.decode()

    assert "Verified signatures" in page
    assert "1,234" in page
