"""What a signer agreed to hear from the campaign, in the very words they saw.

The sign form's box ("Email me about …") takes its label from CONTACT_WORDINGS[CONTACT_WORDING], and each
signature stores that key, set from the constant when it is signed (no query on signing's hot path). A wording
once shown is never edited: new words get a new key (the day they are first shown) and the old ones stay here,
so that the contacts export can give every signer the exact text they ticked.
"""

from django.utils.translation import gettext_noop

CONTACT_WORDINGS: dict[str, str] = {
    # Shown in the page's language (a Welsh signer sees the Welsh of these words); exports quote the English.
    "2026-11-23": gettext_noop("Email me about this campaign's progress and what happens next"),
}
CONTACT_WORDING = "2026-11-23"
CONTACT_LABEL = CONTACT_WORDINGS[CONTACT_WORDING]


def contact_wording(key: str) -> str:
    """The words a signature's key stands for ("" for a key this site never used)."""
    return CONTACT_WORDINGS.get(key, "")


# Privacy-notice versions (Signature.consent_version) whose sign form promised every signer, ticked box
# or not, an email when the letter is delivered and when it is answered. None yet: every form so far has
# said "We only email you about the campaign if you ask us to", and the confirm page tells those who left
# the box empty "We will not email you about the campaign". Add a version here only if its form says so.
OUTCOME_PROMISED: frozenset[str] = frozenset()
