"""Limits on signing per IP address, per mailbox and per email domain.

Counters are fixed windows in Redis when REDIS_URL is set, so every app server
sees the same counts, and all of a request's counters cost one round trip; in
Django's cache (process memory) otherwise. Large mail providers are exempt
from the domain limits (a real surge brings thousands of gmail.com signers a
minute); unusual domains, the kind scripted attacks use, are not.

The limits per address and per domain are soft: past them a signature is held
for review (petition.holding) rather than refused, because a school, a rally's
Wi-Fi or a mobile network sends many real people from one address, and an
employer or university from one domain. Hard limits refuse: per mailbox (one
inbox is one person, and a repeat makes no new row to hold), and a ceiling per
address and per domain far above the soft limit, so that a flood cannot fill
the database with held rows.
"""

import functools
import ipaddress
import os
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from redis.commands.core import Script

from .models import Signature


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


@dataclass(frozen=True)
class Verdict:
    wait: int  # seconds to wait before signing: more than 0 refuses the signature
    hold: str  # why to hold the signature for review (a Signature.HeldReason), or ""


def signing_verdict(ip_hash: str, email_domain: str, mailbox: str) -> Verdict:
    """Whether this signer may sign now, must wait, or may sign but is held for review; one round trip."""
    address = f"ip:{ip_hash}"
    mailbox_scope = f"mailbox:{_key(mailbox)}"
    hard = [(mailbox_scope, allowed, seconds) for allowed, seconds in settings.SIGN_LIMITS_PER_MAILBOX]
    hard += [(address, allowed, seconds) for allowed, seconds in settings.SIGN_CEILINGS_PER_IP]
    soft = {
        Signature.HeldReason.BUSY_ADDRESS: [
            (address, allowed, seconds) for allowed, seconds in settings.SIGN_LIMITS_PER_IP
        ]
    }
    if email_domain not in settings.RATE_LIMIT_EXEMPT_DOMAINS:
        domain = f"domain:{_key(email_domain)}"
        hard += [(domain, allowed, seconds) for allowed, seconds in settings.SIGN_CEILINGS_PER_DOMAIN]
        soft[Signature.HeldReason.BUSY_DOMAIN] = [
            (domain, allowed, seconds) for allowed, seconds in settings.SIGN_LIMITS_PER_DOMAIN
        ]
    # A soft limit and a ceiling over the same window share its counter: one attempt counts once.
    waits = _hit_each([*hard, *(limit for limits in soft.values() for limit in limits)])
    hold = next((reason for reason, limits in soft.items() if any(waits[limit] for limit in limits)), "")
    return Verdict(wait=max((waits[limit] for limit in hard), default=0), hold=hold)


def _key(text: str) -> str:
    """A short fixed-length key: addresses can be longer than a cache key may be, and none is kept as it is.

    Keyed, so that nobody who reads the cache can test a guessed address against it.
    """
    return salted_hmac("petition.ratelimit", text, algorithm="sha256").hexdigest()[:32]


def resend_wait(ip_hash: str) -> int:
    limits = [(f"resend:{ip_hash}", allowed, seconds) for allowed, seconds in settings.RESEND_LIMITS_PER_IP]
    return max(_hit_each(limits).values(), default=0)


Limit = tuple[str, int, int]  # (scope, allowed, seconds)


def _hit_each(limits: list[Limit]) -> dict[Limit, int]:
    """Count one attempt in each limit's window; for each limit, the seconds to wait if it is exceeded, else 0.

    Limits on the same scope and window share one counter, counted once.
    """
    now = time.time()
    keys = {(scope, seconds): f"rl:{scope}:{seconds}:{int(now // seconds)}" for scope, _, seconds in limits}
    used = dict(zip(keys, _increment([(key, seconds + 1) for (_, seconds), key in keys.items()]), strict=True))
    return {
        (scope, allowed, seconds): int((now // seconds + 1) * seconds - now) + 1
        if used[scope, seconds] > allowed
        else 0
        for scope, allowed, seconds in limits
    }


# Every counter of a request in one command (a pipeline of an INCR and an EXPIRE for each cost the signing
# request about 50 µs more to write and read back): a counter's window starts with its first count. EXPIRE with
# NX (Redis 7) sets that and changes nothing after, and is sent for every count: the same work for a mailbox that
# has signed as for a new one, so that the time taken does not tell them apart.
INCREMENT = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[i], 'NX')
end
return counts
"""


def _increment(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each (key, ttl) counter and return the new counts."""
    if settings.REDIS_URL:
        counts: list[int] = _increment_script(settings.REDIS_URL, os.getpid())(
            keys=[key for key, _ in keys], args=[ttl for _, ttl in keys]
        )
        return counts
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
    """A client for REDIS_URL, this process's own."""
    return _redis(settings.REDIS_URL, os.getpid())


@functools.cache
def _redis(url: str, pid: int) -> redis.Redis:
    """One connection for the process (`pid`: a forked child makes its own, never writing on its parent's socket),
    kept open: a pool's checkout and return cost the signing request more than the command they carry. A broken
    connection is made again at its next command. Made for processes of one thread (gunicorn's sync workers, the
    task worker): threads would take turns on it, each holding it through its retries while Redis is away."""
    return redis.Redis.from_url(url, single_connection_client=True)


@functools.cache
def _increment_script(url: str, pid: int) -> Script:
    """INCREMENT, sent by its digest (EVALSHA), and in full only to a server that does not have it yet."""
    return _redis(url, pid).register_script(INCREMENT)
