import pytest

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
    assert campaign_page.evaluate("document.documentElement.scrollWidth") <= 360


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
