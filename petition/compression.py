"""A page compressed once up to where each visitor's own values begin: the campaign page, when thousands read it
(and the count's JSON, the same for everyone).

GZipMiddleware compresses every response whole: for the campaign page (32 KB of HTML, 7 KB compressed) that was
the largest part of serving it from memory. The page is the same for every visitor but for its last few hundred
bytes (the sign form's CSRF token, clock and channel, placed after the footer for this reason), so the text before
them is compressed once, with a flush that ends the compressed data on a byte, and each response compresses only
its own ending from a copy of the compressor's state. What the browser receives is one ordinary gzip stream, as
the middleware would have sent, with the same defence against BREACH: a gzip header of random length (Django's
"Heal the BREACH" padding), and a CSRF token masked afresh for each response.
"""

import secrets
import struct
import zlib

from django.middleware.gzip import GZipMiddleware, re_accepts_gzip

LEVEL = 6  # GZipMiddleware's (django.utils.text.compress_string)


class CompressedStart:
    """`start` compressed once: `gzipped(end)` is the gzip of start + end at the cost of compressing `end`.

    For a body that is the same for everyone (the count's JSON), `gzipped()` is the whole of it, compressed once.
    """

    def __init__(self, start: str | bytes):
        self.start = start
        data = start.encode() if isinstance(start, str) else start
        # Raw deflate: the gzip header and trailer are written here, the header with its random padding.
        self._compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        self._deflated = self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        self._crc, self._size = zlib.crc32(data), len(data)

    def gzipped(self, end: str | bytes = b"") -> bytes:
        data = end.encode() if isinstance(end, str) else end
        compressor = self._compressor.copy()
        deflated = compressor.compress(data) + compressor.flush()
        trailer = struct.pack("<II", zlib.crc32(data, self._crc), (self._size + len(data)) & 0xFFFFFFFF)
        return b"".join((_header(), self._deflated, deflated, trailer))


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether Accept-Encoding takes gzip, read as GZipMiddleware reads it."""
    return bool(re_accepts_gzip.search(accept_encoding))


def _header() -> bytes:
    """A gzip member's header (RFC 1952) with no time and a file name of random length, as Django writes it."""
    padding = b"a" * secrets.randbelow(GZipMiddleware.max_random_bytes)
    # Magic, deflate, FNAME set; no modification time; no extra flags; "unknown" operating system.
    return b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\xff" + padding + b"\x00"
