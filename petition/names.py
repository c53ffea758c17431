"""What of a signer's name is shown where: one rule, from what the signer agreed to on the form.

The form says (in the words below) that every signature is counted, and that
a signer is named only if they tick the box: by first name, last initial and
area on the campaign page, and by full name and area to the recipient (the
delivery pack and the export). Every place a name appears (the public lists,
the delivery pack, the export, staff screens) asks `shown_name`.

A name is held back from the public page and from the recipient, whatever the
signer chose, when it carries a link, a domain, an email address or markup:
spam and abuse arrive in the name fields, thousands a minute in an attack, far
more than moderators could read before they appear or the pack is printed.
Holding such names back automatically keeps them off the page at once and out
of the delivery pack and the export; the signature still counts, and
moderators see it.
"""

import enum
import re
import unicodedata
from typing import Literal, overload

from django.utils.translation import gettext_noop

# Marked for translation; the sign form shows them in the page's language.
SHOW_NAME_LABEL = gettext_noop(
    "Name me: show my first name, the initial of my last name and my area (such as “Brighton”) on this page, "
    "and give my full name and area with the letter"
)
RECIPIENT_NOTE = gettext_noop(
    "Your signature is counted either way; {recipient} receives your full name and area with the letter "
    "only if you tick “Name me”."
)

SPAM_MARKS = re.compile(r"https?:|www\.|@|[<>{}\[\]]|[a-z0-9-]\.[a-z]{2,}", re.IGNORECASE)


class Audience(enum.Enum):
    PUBLIC = "the campaign page"
    RECIPIENT = "the recipient of the letter: the delivery pack and the export"
    STAFF = "moderators and campaign staff"


@overload
def shown_name(
    audience: Literal[Audience.PUBLIC, Audience.RECIPIENT], *, first_name: str, last_name: str, show_name: bool
) -> str | None: ...
@overload
def shown_name(audience: Literal[Audience.STAFF], *, first_name: str, last_name: str, show_name: bool) -> str: ...
def shown_name(audience: Audience, *, first_name: str, last_name: str, show_name: bool) -> str | None:
    """The name as `audience` may see it, or None if it may not be shown there."""
    if audience is Audience.STAFF:
        return f"{first_name} {last_name}".strip()
    # Whoever did not tick the box is counted, not named; so is whoever put a link or markup in their name.
    # Folded by NFKC first, so that full-width or other look-alike forms (ｗｗｗ．, ＠) are seen for what they are.
    if not show_name or SPAM_MARKS.search(unicodedata.normalize("NFKC", f"{first_name} {last_name}")):
        return None
    if audience is Audience.RECIPIENT:
        return f"{first_name} {last_name}".strip()
    return f"{first_name} {last_name[:1]}." if last_name else first_name
