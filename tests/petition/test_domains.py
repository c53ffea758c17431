import pytest

from petition.domains import refusal, registrable, suggestion


@pytest.mark.parametrize(
    ("domain", "owner"),
    [
        ("mail.spam.example.co.uk", "example.co.uk"),
        ("example.co.uk", "example.co.uk"),
        ("a.b.gmail.com", "gmail.com"),
        ("gmail.com", "gmail.com"),
        ("students.ox.ac.uk", "ox.ac.uk"),
        ("staff.nhs.net", "nhs.net"),
        ("xn--bcher-kva.example.de", "example.de"),  # punycode, as the form stores it
        ("mail.example.xn--p1ai", "example.xn--p1ai"),  # under .рф
        ("someone.blogspot.com", "someone.blogspot.com"),  # a suffix from the list's private section
    ],
)
def test_registrable_domain_is_the_part_its_owner_registered(domain, owner):
    assert registrable(domain) == owner


@pytest.mark.parametrize("domain", ["co.uk", "gov.uk", "com", "localhost", "[192.0.2.1]", "[ipv6:2001:db8::1]"])
def test_a_public_suffix_or_an_address_literal_is_its_own_registrable_domain(domain):
    assert registrable(domain) == domain


def test_a_domain_under_an_unknown_ending_is_grouped_by_its_last_two_labels():
    assert registrable("mail.example.notarealtld") == "example.notarealtld"


@pytest.mark.parametrize(
    "domain",
    [
        "example.org",
        "example.com",
        "example.net",
        "spam.example",
        "mail.example.co.uk",
        "gmail.com",
        "nhs.net",
        "ox.ac.uk",
        "xn--bcher-kva.example",
        "contest.com",  # ends in "test", but not in ".test"
        "local.example.org",
    ],
)
def test_ordinary_domains_may_sign(domain):
    assert refusal(domain) is None


@pytest.mark.parametrize("domain", ["[192.0.2.1]", "[ipv6:2001:db8::1]"])
def test_an_address_literal_is_refused_with_a_name_to_use_instead(domain):
    assert refusal(domain) == (
        "We cannot send to a network address in square brackets. Please use an address with a name after the @, "
        "like name@example.com"
    )


def test_a_single_label_domain_is_refused_as_incomplete():
    assert refusal("gmail") == (
        "“gmail” is not a whole email domain: the part after the @ has a dot in it, like example.com. "
        "Please check your email address"
    )


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("nowhere.invalid", "names ending in .invalid are set aside for addresses that must never work"),
        ("localhost", "localhost names point to the computer you are using"),
        ("my.localhost", "localhost names point to the computer you are using"),
        ("mail.test", "names ending in .test are set aside for testing"),
        ("printer.local", "names ending in .local work only inside a home or office network"),
        ("expyuzz4wqqyqhjn.onion", "names ending in .onion are Tor services"),
        ("mail.example.alt", "names ending in .alt are outside the internet’s naming system"),
    ],
)
def test_a_special_use_name_is_refused_saying_why_it_never_receives_mail(domain, reason):
    message = refusal(domain)

    assert message.startswith(f"We cannot send email to {domain}: {reason}")
    assert message.endswith("Please use the address where you read your email")


@pytest.mark.parametrize(
    ("domain", "named"),
    [
        ("mailinator.com", "mailinator.com"),
        ("inbox.mailinator.com", "mailinator.com"),
        ("yopmail.com", "yopmail.com"),
        ("guerrillamail.com", "guerrillamail.com"),
    ],
)
def test_a_disposable_mailbox_service_is_refused_by_name(domain, named):
    assert refusal(domain) == (
        f"We cannot accept addresses at {named}, which gives out short-lived inboxes: please use an address you "
        "will still have when we write about the letter’s delivery"
    )


def test_a_disposable_service_under_a_shared_suffix_is_refused_by_its_full_domain():
    # dynv6.net is a public suffix: each name under it belongs to someone different.
    assert registrable("0-mailer.dynv6.net") == "0-mailer.dynv6.net"
    assert "0-mailer.dynv6.net" in refusal("0-mailer.dynv6.net")
    assert refusal("someone-else.dynv6.net") is None


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("asha@gmial.com", "asha@gmail.com"),
        ("asha@gmail.con", "asha@gmail.com"),
        ("asha@gmail.co", "asha@gmail.com"),
        ("asha@gmail.cm", "asha@gmail.com"),
        ("asha@gmai.com", "asha@gmail.com"),
        ("asha@gamil.com", "asha@gmail.com"),
        ("asha@gmial.con", "asha@gmail.com"),
        ("asha@gmai.lcom", "asha@gmail.com"),
        ("asha@hotmial.co.uk", "asha@hotmail.co.uk"),
        ("asha@hotmail.couk", "asha@hotmail.co.uk"),
        ("asha@hotmail.co", "asha@hotmail.com"),
        ("asha@hotamil.com", "asha@hotmail.com"),
        ("asha@outlok.com", "asha@outlook.com"),
        ("asha@otulook.com", "asha@outlook.com"),
        ("asha@yaho.co.uk", "asha@yahoo.co.uk"),
        ("asha@yahooo.com", "asha@yahoo.com"),
        ("asha@iclod.com", "asha@icloud.com"),
        ("asha@btinterent.com", "asha@btinternet.com"),
        ("asha@virginmeda.com", "asha@virginmedia.com"),
        ("asha@googlemial.com", "asha@googlemail.com"),
        ("asha@sky.con", "asha@sky.com"),
        ("Asha.Patel+petition@gmial.com", "Asha.Patel+petition@gmail.com"),
    ],
)
def test_a_mistyped_large_provider_is_corrected_keeping_the_part_before_the_at(typed, meant):
    assert suggestion(typed) == meant


@pytest.mark.parametrize(
    "domain",
    [
        # The providers themselves, short and long.
        "gmail.com",
        "gmx.com",
        "mail.com",
        "me.com",
        "aol.com",
        "nhs.net",
        "sky.com",
        "live.co.uk",
        "hotmail.com",
        "btinternet.com",
        # Real domains a slip or two from a provider.
        "example.org",
        "bt.com",
        "gov.uk",
        "ox.ac.uk",
        "gm.com",
        "ge.com",
        "aon.com",
        "email.com",  # as near to gmail.com as to mail.com
        "pm.me",
        # Providers' names under their other real endings.
        "hotmail.ca",
        "yahoo.ca",
        "yahoo.co.in",
        "yahoo.co.jp",
        "live.co.za",
        "hotmail.fr",
        "protonmail.ch",
        "gmx.de",
        "gmx.net",
        "nhs.uk",
    ],
)
def test_a_real_domain_is_never_corrected(domain):
    assert suggestion(f"asha@{domain}") is None


def test_the_providers_corrected_towards_are_the_ones_the_rate_limits_exempt(settings):
    settings.RATE_LIMIT_EXEMPT_DOMAINS = {"campaignmail.org"}

    assert suggestion("asha@campaignmial.org") == "asha@campaignmail.org"
    assert suggestion("asha@gmial.com") is None
