"""Limits on signing per IP address and per email domain.

Counters are fixed windows in Redis when REDIS_URL is set, so every app server
sees the same counts, and all of a request's counters cost one round trip; in
Django's cache (process memory) otherwise. Large mail providers are exempt
from the domain limit (a real surge brings thousands of gmail.com signers a
minute); unusual domains, the kind scripted attacks use, are not.
"""

import functools
import ipaddress
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, unless it is a proxy we were told to trust.

    X-Forwarded-For is read only from TRUSTED_PROXIES, and only its last entry
    that is not itself one of them: anything further left is the client's word.
    """
    remote: str = request.META.get("REMOTE_ADDR", "")
    if not settings.TRUSTED_PROXIES or not _trusted(remote):
        return remote
    hops: list[str] = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return remote


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def signing_wait(ip_hash: str, email_domain: str, mailbox: str) -> int:
    """Seconds this signer must wait before signing, or 0 if they may sign now.

    Limited per IP address, per unusual email domain, and per mailbox (see
    petition.mailboxes: +tags and Gmail's dots do not make one inbox many).
    """
    limits = [(f"ip:{ip_hash}", allowed, seconds) for allowed, seconds in settings.SIGN_LIMITS_PER_IP]
    mailbox = _key(mailbox)
    limits += [(f"mailbox:{mailbox}", allowed, seconds) for allowed, seconds in settings.SIGN_LIMITS_PER_MAILBOX]
    if email_domain not in settings.RATE_LIMIT_EXEMPT_DOMAINS:
        domain = _key(email_domain)
        limits += [(f"domain:{domain}", allowed, seconds) for allowed, seconds in settings.SIGN_LIMITS_PER_DOMAIN]
    return _hit(limits)


def _key(text: str) -> str:
    """A short fixed-length key: addresses can be longer than a cache key may be, and none is kept as it is.

    Keyed, so that nobody who reads the cache can test a guessed address against it.
    """
    return salted_hmac("petition.ratelimit", text, algorithm="sha256").hexdigest()[:32]


def resend_wait(ip_hash: str) -> int:
    return _hit([(f"resend:{ip_hash}", allowed, seconds) for allowed, seconds in settings.RESEND_LIMITS_PER_IP])


def _hit(limits: list[tuple[str, int, int]]) -> int:
    """Count one attempt against each (scope, allowed, seconds) limit; the seconds to wait if any is exceeded."""
    now = time.time()
    windows = [(scope, allowed, seconds, int(now // seconds)) for scope, allowed, seconds in limits]
    used = _increment([(f"rl:{scope}:{seconds}:{window}", seconds + 1) for scope, _, seconds, window in windows])
    waits = [
        int((window + 1) * seconds - now) + 1
        for (_, allowed, seconds, window), count in zip(windows, used, strict=True)
        if count > allowed
    ]
    return max(waits, default=0)


def _increment(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each (key, ttl) counter and return the new counts."""
    if settings.REDIS_URL:
        pipeline = redis_client().pipeline(transaction=False)
        for key, ttl in keys:
            pipeline.incr(key)
            pipeline.expire(key, ttl, nx=True)
        return pipeline.execute()[0::2]
    counts = []
    for key, ttl in keys:
        if cache.add(key, 1, ttl):
            counts.append(1)
            continue
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between the two calls
            cache.add(key, 1, ttl)
            counts.append(1)
    return counts


def redis_client() -> redis.Redis:
    """A client for REDIS_URL, shared by this process (it keeps a pool of connections)."""
    return _redis(settings.REDIS_URL)


@functools.cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)
