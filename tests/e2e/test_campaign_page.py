import pytest

from .screens import sticking_out

pytestmark = pytest.mark.browser


@pytest.fixture
def campaign_page(live_server, real_campaign, phone):
    phone.goto(live_server.url + "/")
    return phone


def test_campaign_page_on_a_phone_shows_the_letter_and_the_five_asks(campaign_page):
    page = campaign_page

    assert (
        page.title() == "Put children at the heart of the Online Safety Bill | Open letter for children's safety online"
    )
    assert page.get_by_role("heading", level=1).inner_text() == "Put children at the heart of the Online Safety Bill"
    asks = page.get_by_role("region", name="What we are asking for").get_by_role("listitem")
    assert asks.count() == 5
    assert asks.nth(3).get_by_role("heading").inner_text() == "Stronger powers for the regulator over private messaging"
    assert page.get_by_text("Source:").first.is_visible()


def test_campaign_page_fits_a_360_pixel_screen_without_sideways_scrolling(campaign_page):
    assert sticking_out(campaign_page) == []


def test_campaign_page_has_no_accessibility_violations(campaign_page, accessibility_violations):
    assert accessibility_violations(campaign_page) == []


def test_stylesheet_loads_under_the_content_security_policy(campaign_page):
    colour = campaign_page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert colour == "rgb(0, 61, 53)"


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(campaign_page):
    page = campaign_page

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.is_visible()

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_sign_button_leads_to_the_signing_section(campaign_page):
    campaign_page.get_by_role("link", name="Sign the letter").click()
    assert campaign_page.url.endswith("#sign")
    assert campaign_page.get_by_role("heading", name="Add your name").is_visible()


def test_campaign_page_reads_the_same_without_javascript(browser, live_server, real_campaign):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/")

    assert page.get_by_role("region", name="What we are asking for").get_by_role("listitem").count() == 5
    context.close()


@pytest.mark.parametrize("path", ["/privacy/", "/no-such-page/"])
def test_other_pages_have_no_accessibility_violations(
    live_server, real_campaign, phone, accessibility_violations, path
):
    phone.goto(live_server.url + path)
    assert accessibility_violations(phone) == []


def in_view(page, locator):
    """Whether the element lies wholly within the window as it stands."""
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_the_first_screen_of_a_small_phone_shows_the_title_the_count_and_the_way_to_sign(
    browser, live_server, real_campaign
):
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(live_server.url + "/")

    assert in_view(page, page.get_by_role("heading", level=1))
    assert in_view(page, page.get_by_text("people have signed"))
    assert in_view(page, page.get_by_role("progressbar"))
    sign = page.get_by_role("link", name="Sign the letter")
    assert in_view(page, sign)
    sign.click()
    assert in_view(page, page.get_by_role("heading", name="Add your name"))
    context.close()


def test_on_a_desktop_the_form_stays_in_view_beside_the_letter(browser, live_server, real_campaign):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/")
    first_name = page.get_by_role("textbox", name="First name")
    letter = page.get_by_role("region", name="The letter")

    assert first_name.bounding_box()["x"] > letter.bounding_box()["x"] + letter.bounding_box()["width"]
    page.get_by_role("heading", name="The facts").scroll_into_view_if_needed()
    assert in_view(page, page.get_by_role("heading", name="Add your name"))
    assert in_view(page, first_name)
    assert sticking_out(page) == []
    context.close()


def test_the_country_list_is_shown_only_to_those_who_live_outside_the_uk(campaign_page):
    page = campaign_page
    country = page.get_by_label("Country")
    postcode = page.get_by_label("Postcode")
    assert postcode.is_visible() and not country.is_visible()

    page.get_by_label("I live outside the UK").check()
    assert country.is_visible() and not postcode.is_visible()
    country.select_option(label="Ireland")
    page.get_by_label("I live in the UK").check()
    assert postcode.is_visible() and not country.is_visible()


def test_the_campaign_page_and_all_it_needs_to_render_weigh_at_most_12_kb_on_the_wire(
    browser, live_server, real_campaign
):
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.wait_for_load_state("load")
    # Bytes as sent, compressed: the page itself and every file it loaded (the stylesheet, the icon).
    sizes = page.evaluate(
        """() => Object.fromEntries(
            [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
            .map(entry => [entry.name, entry.encodedBodySize]))"""
    )

    assert any(url.endswith(".css") for url in sizes), sizes
    html = sizes[live_server.url + "/"]
    assert html < 9 * 1024, f"the HTML alone is {html} bytes compressed"
    assert sum(sizes.values()) <= 12 * 1024, sizes
    context.close()


def test_a_delivered_campaign_with_its_response_reads_well_on_a_phone(
    live_server, real_campaign, phone, accessibility_violations
):
    from datetime import date, datetime

    from django.utils import timezone

    real_campaign.status = "delivered"
    real_campaign.delivered_at = datetime(2026, 3, 2, 12, tzinfo=timezone.UTC)
    real_campaign.delivered_count = 51_234
    real_campaign.response = "Thank you for your letter.\n\nWe will bring forward amendments."
    real_campaign.response_by = "The Secretary of State"
    real_campaign.responded_on = date(2026, 4, 14)
    real_campaign.save()
    phone.goto(live_server.url + "/")

    assert phone.get_by_text("Delivered to Nadine Dorries MP on 2 March 2026.").is_visible()
    assert phone.get_by_text("51,234 signatures delivered").is_visible()
    assert phone.get_by_role("heading", name="The response").is_visible()
    assert phone.get_by_role("region", name="Timeline").get_by_role("listitem").count() == 3
    assert sticking_out(phone) == []
    assert accessibility_violations(phone) == []
