"""The sign and resend forms: validation, normalisation and messages written for people."""

import re
import time
import unicodedata
from functools import cache
from html import escape
from typing import TYPE_CHECKING, Any, NamedTuple

from django import forms
from django.conf import settings
from django.core import signing
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.crypto import salted_hmac
from django.utils.encoding import punycode
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from localflavor.gb.forms import GBPostcodeField

from campaign.models import Campaign

from . import consent, domains, exports, names, postcodes, sharing

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Control characters other than tab and newlines have no place in a name or message.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# A name is one line: it goes into emails, where a line break could pass off text as ours.
LINE_BREAKS = re.compile(r"[^\S ]|[\u2028\u2029]")
FORM_CLOCK_SALT = "petition.sign-form-clock"
EMAIL_INVALID = _("Enter an email address in the correct format, like name@example.com")


def country_choices() -> list[tuple[str, str]]:
    # A callable, so that each form copies a reference rather than 250 choices.
    return _country_choices(get_language())


@cache
def _country_choices(language: str) -> list[tuple[str, str]]:
    """The countries, named and sorted in the page's language (django-countries has them in Welsh too)."""
    return [("", gettext("Choose your country"))] + [(code, name) for code, name in countries if code != "GB"]


class LongSelect(forms.Select):
    """A select of a long, flat list of choices (the countries), written out in Python.

    Django renders every option through its own template: 12 ms for 250 countries, most of the cost of the
    campaign page. The HTML is the same as Django's, without the option groups this list does not have.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        selected = set(self.format_value(value))
        options = "\n".join(
            f'<option value="{escape(str(code))}"{" selected" * (str(code) in selected)}>{escape(str(label))}</option>'
            for code, label in self.choices
        )
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        # Every value and label is escaped above, and flatatt escapes the attributes.
        return mark_safe(f"<select{flatatt(attrs)}>\n{options}\n</select>")  # noqa: S308


def clean_text(value: str, label: "StrOrPromise", max_length: int, *, one_line: bool = False) -> str:
    """Normalised text without control characters, its length checked after normalising (which can lengthen it).

    Lengths are checked here rather than by a maxlength on the input, which
    would cut pasted text short without saying so. The `label` names the field in a message (lazy: it is
    translated only for one).
    """
    value = unicodedata.normalize("NFC", value).strip()
    if CONTROL_CHARACTERS.search(value):
        raise forms.ValidationError(
            gettext("{label} contains characters we cannot accept. Please retype it.").format(label=label)
        )
    if one_line and LINE_BREAKS.search(value):
        raise forms.ValidationError(gettext("{label} must be on one line").format(label=label))
    if len(value) > max_length:
        raise forms.ValidationError(
            gettext("{label} must be {max_length} characters or fewer (it has {length})").format(
                label=label, max_length=max_length, length=len(value)
            )
        )
    return value


def clean_address(value: str) -> str:
    """An email address with its domain in the ASCII form mail servers use.

    Converting the domain as sending would (IDNA) means invisible characters
    cannot make one inbox look like many, and an address we could never send
    to is refused here rather than accepted and left in the outbox.
    """
    local, _at, domain = value.strip().rpartition("@")
    if local.startswith('"') or not local.isprintable():
        # Quoted local parts are valid but unused in practice, and some cannot be sent at all.
        raise forms.ValidationError(EMAIL_INVALID, code="invalid")
    try:
        domain = punycode(domain).lower()
    except UnicodeError:
        raise forms.ValidationError(EMAIL_INVALID, code="invalid") from None
    address = f"{local}@{domain}"
    if len(address) > 254:
        raise forms.ValidationError(_("Email address must be 254 characters or fewer"), code="max_length")
    return address


class HelpText(Promise):
    """A field's help text, translated only when a page shows it.

    Django reads each field's help text whenever a form is checked (a BoundField's `help_text or ""`), and a lazy
    translation translates itself to say whether it is empty: three translations for each signature, none of them
    shown (10 to 25 µs of the request). A help text is never empty, so this one says so without translating.
    """

    def __init__(self, text: "StrOrPromise") -> None:
        self.text = text

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return str(self.text)


class EmailAddressField(forms.EmailField):
    """An email address, checked and put in the form we store (see clean_address), with kind messages.

    An address at a domain that can never receive our mail, or that hands out short-lived inboxes, is
    refused saying why. A field that asks_about_typos leaves a mistyped large provider for its form to ask
    about first (SignForm.clean_email): some typo domains, gmial.com among them, are on the disposable list.
    """

    default_error_messages = {
        "required": _("Enter your email address"),
        "invalid": EMAIL_INVALID,
        "max_length": _("Email address must be 254 characters or fewer"),
    }

    def __init__(self, *, asks_about_typos: bool = False, **kwargs: Any) -> None:
        self.asks_about_typos = asks_about_typos
        kwargs.setdefault("label", _("Email address"))
        kwargs.setdefault("widget", forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}))
        super().__init__(max_length=254, **kwargs)

    def clean(self, value: object) -> str:
        typed: str = super().clean(value)
        if not typed:
            return typed
        address = clean_address(typed)
        if not (self.asks_about_typos and domains.suggestion(address)):
            refuse_unreachable(address)
        return address


def refuse_unreachable(address: str) -> None:
    """Refuse an address at a domain that can never receive our mail, saying why (see domains.refusal)."""
    if refusal := domains.refusal(address.rpartition("@")[2]):
        raise forms.ValidationError(refusal, code="domain")


class EmailSuggestion(NamedTuple):
    """A mistyped large provider, and the address the sign form asks whether the person meant."""

    typed: str
    suggested: str


def form_clock(campaign_pk: int, visitor: str, started: int | None = None) -> str:
    """The sign form's clock for a campaign, started now (or at `started`), for the visitor whose CSRF secret
    is `visitor`.

    Tied to the visitor, so that a script cannot load the page once and sign
    with its clock from many sessions; see SignForm.fresh_clock.
    """
    started = int(time.time()) if started is None else started
    return signing.Signer(salt=FORM_CLOCK_SALT).sign(f"{campaign_pk}:{_visitor_key(visitor)}:{started}")


def _visitor_key(visitor: str) -> str:
    # A keyed digest: the page must never carry the CSRF secret itself.
    return salted_hmac(FORM_CLOCK_SALT, visitor, algorithm="sha256").hexdigest()[:16]


class SignForm(forms.Form):
    LOCATION_CHOICES = [("uk", _("I live in the UK")), ("abroad", _("I live outside the UK"))]

    first_name = forms.CharField(
        label=_("First name"),
        error_messages={"required": _("Enter your first name")},
        widget=forms.TextInput(attrs={"autocomplete": "given-name", "spellcheck": "false"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        error_messages={"required": _("Enter your last name")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name", "spellcheck": "false"}),
    )
    email = EmailAddressField(
        asks_about_typos=True,
        help_text=HelpText(_("We will email you a link to confirm your signature. We never show your email address.")),
    )
    location = forms.ChoiceField(
        label=_("Where do you live?"),
        choices=LOCATION_CHOICES,
        initial="uk",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Tell us whether you live in the UK"),
            "invalid_choice": _("Choose one of the options"),
        },
    )
    postcode = GBPostcodeField(
        label=_("Postcode"),
        required=False,
        max_length=16,
        help_text=HelpText(_("For the count by region. We never publish your full postcode.")),
        error_messages={
            "invalid": _("Enter a real UK postcode, like SW1A 1AA"),
            "max_length": _("Enter a real UK postcode, like SW1A 1AA"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "spellcheck": "false", "size": "10"}),
    )
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        choices=country_choices,
        error_messages={"invalid_choice": _("Choose your country from the list")},
        widget=LongSelect(attrs={"autocomplete": "country"}),
    )
    show_name = forms.BooleanField(label=_(names.SHOW_NAME_LABEL), required=False)
    # Stored with each signature by its key (petition.consent): the contacts export quotes it.
    contact_opt_in = forms.BooleanField(label=_(consent.CONTACT_LABEL), required=False)
    message = forms.CharField(
        label=_("Message to the minister (optional)"),
        required=False,
        # The stubs take only a str or a lazy one: a HelpText is read as a lazy one.
        help_text=HelpText(_("Up to 500 characters. It may be shown publicly after our staff have read it.")),  # type: ignore[arg-type]
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # A field people never see: software that fills in every field gives itself away.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # Rendered by the template from fresh_clock(), which checks the submitted value before carrying it.
    started = forms.CharField(required=False, max_length=200)
    # The channel of the shared link the visitor came through (petition.sharing), carried as a hidden field.
    source = forms.CharField(required=False)
    # Signing again after a mistyped address: the receipt of the first signing (petition.receipts).
    replacing = forms.CharField(required=False, max_length=500)

    def __init__(
        self, data: QueryDict | None = None, *args: Any, campaign: Campaign, visitor: str = "", **kwargs: Any
    ) -> None:
        if data is not None and (use_email := data.get("use_email")):
            # "Yes, use …" under a suggested correction: the address on the button replaces the one typed.
            data = data.copy()
            data["email"] = use_email
        # Our templates write each label without Django's suffix: "" spares translating ":" for every form.
        kwargs.setdefault("label_suffix", "")
        super().__init__(data, *args, **kwargs)
        self.campaign = campaign
        self.visitor = visitor  # the visitor's CSRF secret, which the form's clock is tied to
        # Read now, for the visitor who sent it: the view may render the form again for a new cookie.
        self.loaded_at = self._read_clock() if self.is_bound else None
        self.email_suggestion: EmailSuggestion | None = None
        self.kept_email: str | None = None

    @property
    def recipient_note(self) -> str:
        """What the recipient receives of every signer's name: said beside the button, as petition.names does it."""
        return gettext(names.RECIPIENT_NOTE).format(recipient=self.campaign.recipient_name)

    def fresh_clock(self) -> str:
        """The signed start time to render with the form: the visitor's own while it runs, else one from now.

        A form sent back for a correction keeps the time the visitor first loaded it, so that answering
        "Did you mean …?" at once is not "too fast". A form refused as too old, or without a valid clock,
        gets a new one, so that it can simply be sent again with every input kept.
        """
        started = self.loaded_at
        if started is not None and time.time() - started > settings.SIGN_FORM_MAX_AGE:
            started = None
        return form_clock(self.campaign.pk, self.visitor, started)

    @property
    def is_bot(self) -> bool:
        """True when the hidden field was filled in: answer as if it worked, store nothing."""
        return bool(self.cleaned_data.get("website"))

    def clean_email(self) -> str:
        """Ask about a mistyped large provider, unless the person has said to keep what they typed."""
        address: str = self.cleaned_data["email"]
        if suggested := domains.suggestion(address):
            if self.data.get("keep_email") != address:
                self.email_suggestion = EmailSuggestion(typed=address, suggested=suggested)
                raise forms.ValidationError(
                    gettext("Did you mean {address}?").format(address=suggested), code="suggestion"
                )
            self.kept_email = address  # carried in the form, so that fixing another mistake does not ask again
            refuse_unreachable(address)  # which the field left to be asked about first
        return address

    def clean_source(self) -> str:
        """A channel we know, or none: an edited hidden field is no mistake a person could fix."""
        return sharing.known_source(self.cleaned_data["source"])

    @property
    def carried_source(self) -> str:
        """The channel to carry in the form as rendered: the one sent, or the one the page was opened with."""
        return sharing.known_source(self.data.get("source") if self.is_bound else self.initial.get("source"))

    def clean_first_name(self) -> str:
        return clean_text(self.cleaned_data["first_name"], _("First name"), 50, one_line=True)

    def clean_last_name(self) -> str:
        return clean_text(self.cleaned_data["last_name"], _("Last name"), 50, one_line=True)

    def clean_message(self) -> str:
        return clean_text(self.cleaned_data["message"], _("Message"), 500)

    def clean(self) -> dict[str, Any]:
        # Form.clean returns cleaned_data; its stub allows for an override that returns None.
        data: dict[str, Any] = super().clean()  # type: ignore[assignment]
        if data.get("location") == "abroad":
            # Someone abroad may well type their own post code there: it is not a UK one, and that is fine.
            self.errors.pop("postcode", None)
            data["postcode"] = ""
        if data.get("location") == "uk" and not data.get("postcode") and "postcode" not in self.errors:
            self.add_error("postcode", gettext("Enter your postcode, or choose “I live outside the UK”"))
        if data.get("location") == "uk" and data.get("postcode") and not postcodes.area_for(data["postcode"]):
            self.add_error("postcode", gettext("Enter a real UK postcode, like SW1A 1AA"))
        if data.get("location") == "abroad" and not data.get("country") and "country" not in self.errors:
            self.add_error("country", gettext("Choose the country you live in"))
        if not self.errors:
            # A form with mistakes is sent again after they are fixed; its clock is checked then.
            self._check_clock()
        return data

    def _read_clock(self) -> int | None:
        """When this visitor loaded the form, from its clock; None if the clock is not one we gave them."""
        try:
            clock = self.data.get("started", "")
            campaign_pk, visitor, seconds = signing.Signer(salt=FORM_CLOCK_SALT).unsign(clock).split(":")
            started = int(seconds)
        except (signing.BadSignature, ValueError):
            return None
        return started if (campaign_pk, visitor) == (str(self.campaign.pk), _visitor_key(self.visitor)) else None

    def _check_clock(self) -> None:
        """Refuse forms sent faster than a person can type, left open too long, or loaded by someone else."""
        elapsed = None if self.loaded_at is None else time.time() - self.loaded_at
        if elapsed is None or elapsed > settings.SIGN_FORM_MAX_AGE:
            raise forms.ValidationError(
                gettext("This form had expired. Please check your details and press “Sign the letter” again."),
                code="expired",
            )
        if elapsed < settings.SIGN_FORM_MIN_SECONDS:
            raise forms.ValidationError(
                gettext(
                    "That was quicker than we expected from a person. Please check your details and press "
                    "“Sign the letter” again."
                ),
                code="too_fast",
            )


class SharedFields(dict[str, forms.Field]):
    """A form class's fields, which each of its forms shares instead of deep-copying them.

    Django copies every field, with its widget, validators and messages, for each form it makes, so that a form may
    change its own fields. The sign form never does (nothing in the project sets a field's attributes after the
    class is made; its tests check that a form's fields are the class's), and the copies cost about 0.2 ms of every
    signature, a tenth of the sign request's own work (`make bench-profile`).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


SignForm.base_fields = SharedFields(SignForm.base_fields)


class ResendForm(forms.Form):
    email = EmailAddressField(help_text=HelpText(_("The address you signed with.")))


class ExportForm(forms.Form):
    columns = forms.MultipleChoiceField(
        choices=[(key, column.header) for key, column in exports.COLUMNS.items()],
        initial=exports.DEFAULT_COLUMNS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one column"},
    )
