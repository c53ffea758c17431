# The version of the privacy notice (templates/campaign/privacy.html) and the consent
# wording beside the sign form. Change it whenever either changes: each signature
# records the version its signer saw.
# The second of 2026-12-02: the notice now names the data controller, the lawful bases, the rights and the ICO.
PRIVACY_NOTICE_VERSION = "2026-12-02.2"
