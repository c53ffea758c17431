"""One person, one signature: the inbox an email address delivers to, however it is spelt.

Signatures are unique per campaign on this mailbox, not on the address as
typed (which is what we send to). Letter case and Unicode forms never matter;
a subaddress (`name+tag@`, RFC 5233) reaches the same inbox at every provider
that supports one, and is removed everywhere; dots are removed only where the
provider is known to ignore them (elsewhere `a.b@` and `ab@` can be different
people, which is why the UK Parliament site reverted stripping them everywhere).
"""

import unicodedata

# Domains that are one mailbox service: domain -> (the service's domain, whether it ignores dots).
PROVIDERS = {
    # Gmail ignores dots in the local part.
    "gmail.com": ("gmail.com", True),
    # Gmail's name in the UK and Germany until 2012: the same inboxes as gmail.com.
    "googlemail.com": ("gmail.com", True),
    # Apple's three mail domains share one namespace: name@me.com and name@mac.com are name@icloud.com.
    "icloud.com": ("icloud.com", False),
    "me.com": ("icloud.com", False),
    "mac.com": ("icloud.com", False),
    # Proton gives every account the same name at each of its domains.
    "proton.me": ("proton.me", False),
    "protonmail.com": ("proton.me", False),
    "protonmail.ch": ("proton.me", False),
    "pm.me": ("proton.me", False),
}


def mailbox(address: str) -> str:
    """The inbox `address` delivers to: what a signature is unique on."""
    folded = unicodedata.normalize("NFKC", address.strip()).casefold()
    local, _, domain = folded.rpartition("@")
    local = local.split("+", 1)[0]
    domain, dots_ignored = PROVIDERS.get(domain, (domain, False))
    if dots_ignored:
        local = local.replace(".", "")
    return f"{local}@{domain}"
