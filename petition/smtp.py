"""The outbox's way onto the wire: each email as the bytes an SMTP server receives, and handing them over quickly.

Django's message() builds every email through the standard library's email package, whose header parsing and
folding cost about three times the rendering of both templates; the outbox's emails are all alike (two
bodies, a few headers), so `as_bytes` writes them directly, leaving the stdlib to encode only a header that
needs it (a Welsh organiser's name, say), once per distinct value. `Sender` hands them to the server over one
connection, and where the server offers PIPELINING (RFC 2920, as Postfix and every large provider do) each email
costs one round trip rather than four: its envelope goes with the text of the email before.
"""

import binascii
import contextlib
import email.policy
import re
import secrets
import smtplib
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid
from functools import lru_cache

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.utils import DNS_NAME

# An address a mail server takes as it is: ASCII letters, digits and the usual punctuation, one @. Anything else
# (an international domain, quotes, control characters) goes through Django's own check and IDNA encoding.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
PLAIN_HEADER = re.compile(r"[\x20-\x7e]*")
LINE_START_DOT = re.compile(rb"^\.", re.MULTILINE)
# RFC 5322's limit for a line is 998 characters; a longer header is folded by the stdlib.
LONGEST_LINE = 998


@lru_cache(maxsize=1024)
def header(name: str, value: str) -> bytes:
    """One header line, folded and encoded as RFC 5322 and 2047 ask; a line break in `value` is refused.

    Kept for values that repeat (the sender, a campaign's subject); the stdlib's header machinery is used only
    for a value that is not plain printable ASCII or is too long for one line.
    """
    if PLAIN_HEADER.fullmatch(value) and len(name) + len(value) + 2 <= LONGEST_LINE:
        return f"{name}: {value}\r\n".encode("ascii")
    policy = email.policy.SMTP
    # Raises ValueError for a carriage return or line feed, as Django's own message() does.
    parsed_name, parsed = policy.header_store_parse(name, value)
    return policy.fold_binary(parsed_name, parsed)


def _body(content: str, subtype: str, boundary: str) -> bytes:
    # Quoted-printable: any text, any line length, readable as it is; "=_" never occurs in it, so it never
    # contains the boundary. As in Django's, the text ends with a line break, and the boundary's own follows.
    text = content.replace("\r\n", "\n")
    text = text if text.endswith("\n") else text + "\n"
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    return (
        (
            f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode("ascii")
        + encoded
        + b"\r\n"
    )


@lru_cache(maxsize=64)
def envelope_sender(from_header: str) -> str:
    """The address in a From header, as the envelope's MAIL FROM carries it."""
    return recipient(from_header)


def recipient(address: str) -> str:
    """The address as the SMTP envelope carries it: ValueError if it cannot be sent to (Django's rule)."""
    if PLAIN_ADDRESS.fullmatch(address):
        return address
    return str(EmailBackend.prep_address(None, address))  # type: ignore[arg-type]  # uses no state of the backend


def as_bytes(message: EmailMultiAlternatives) -> bytes:
    """The message as the bytes of an email with its plain text and HTML alternative (no attachments).

    The same headers as Django's message() gives: Subject, From, To, Date, Message-ID, then the extra headers.
    """
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html" and not message.attachments and not message.cc and not message.reply_to
    boundary = f"=_{secrets.token_hex(12)}"
    lines = [
        header("Subject", str(message.subject)),
        header("From", message.from_email),
        b"To: %s\r\n" % ", ".join(recipient(address) for address in message.to).encode("ascii"),
        b"Date: %s\r\n" % format_datetime(datetime.now(UTC)).encode("ascii"),
        b"Message-ID: %s\r\n" % make_msgid(domain=DNS_NAME).encode("ascii"),
        *(header(name, str(value)) for name, value in message.extra_headers.items()),
        b"MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode("ascii"),
        _body(str(message.body), "plain", boundary),
        _body(str(html), "html", boundary),
        f"--{boundary}--\r\n".encode("ascii"),
    ]
    return b"".join(lines)


class Sender[T]:
    """Hands emails to the SMTP server of Django's SMTP backend over its one open connection.

    Where the server offers PIPELINING, each email costs one round trip: its MAIL, RCPT and DATA go in one
    write with the text of the email before (RFC 2920 3.1: the text may open a group, DATA must end one), and
    their replies are read together. An email's outcome is known only once the next is sent (or `finish`), so
    each is handed over with a token and comes back in `settled`, with None or the server's refusal of its
    text. A refused envelope raises at once, as smtplib's sendmail would, leaving the connection ready for the
    next email. Without PIPELINING, sendmail speaks one command at a time.
    """

    def __init__(self, backend: EmailBackend) -> None:
        self.backend = backend
        # The email whose envelope the server took, and whose text goes with the next email's envelope.
        self.in_flight: tuple[T, bytes] | None = None
        self.settled: list[tuple[T, Exception | None]] = []

    @property
    def connection(self) -> smtplib.SMTP:
        assert self.backend.connection is not None, "open() the backend first"
        return self.backend.connection

    def send(self, token: T, from_address: str, to_address: str, message: bytes) -> None:
        connection = self.connection
        connection.ehlo_or_helo_if_needed()
        if not connection.has_extn("pipelining"):
            try:
                connection.sendmail(from_address, [to_address], message)
            except smtplib.SMTPDataError as refusal:  # of this email alone: sendmail has reset the transaction
                self.settled.append((token, refusal))
            else:
                self.settled.append((token, None))
            return
        envelope = f"MAIL FROM:<{from_address}>\r\nRCPT TO:<{to_address}>\r\nDATA\r\n".encode("ascii")
        connection.send(self._text_in_flight() + envelope)
        self._settle_in_flight()
        mail, rcpt, data = connection.getreply(), connection.getreply(), connection.getreply()
        if data[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
            # The server took DATA after refusing the envelope: an empty message ends it (RFC 2920 3.1).
            connection.send(b".\r\n")
            connection.getreply()
        if mail[0] != 250:
            self._reset()
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], from_address)
        if rcpt[0] not in (250, 251):
            self._reset()
            raise smtplib.SMTPRecipientsRefused({to_address: rcpt})
        if data[0] != 354:
            self._reset()
            raise smtplib.SMTPDataError(*data)
        self.in_flight = (token, message)

    def finish(self) -> None:
        """Send the last email's text and read the server's answer to it."""
        if self.in_flight is not None:
            self.connection.send(self._text_in_flight())
            self._settle_in_flight()

    def abandon(self) -> T | None:
        """After the connection broke: forget the email in flight and return it (it may or may not have arrived)."""
        token = self.in_flight[0] if self.in_flight is not None else None
        self.in_flight = None
        return token

    def _text_in_flight(self) -> bytes:
        if self.in_flight is None:
            return b""
        text = LINE_START_DOT.sub(b"..", self.in_flight[1])
        return text + (b".\r\n" if text.endswith(b"\r\n") else b"\r\n.\r\n")

    def _settle_in_flight(self) -> None:
        if self.in_flight is None:
            return
        # A server that hung up raises SMTPServerDisconnected here, leaving the email in flight to abandon().
        code, reply = self.connection.getreply()
        token, self.in_flight = self.in_flight[0], None
        self.settled.append((token, None if code == 250 else smtplib.SMTPDataError(code, reply)))

    def _reset(self) -> None:
        # As smtplib does after a refusal; a server that hung up shows when the next email is sent.
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            self.connection.rset()
