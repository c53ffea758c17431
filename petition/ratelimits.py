"""Limits on signing per IP address and per email domain, kept in the shared cache.

Counters are fixed windows in Django's cache: Redis in production, so every
app server sees the same counts. Large mail providers are exempt from the
domain limit (a real surge brings thousands of gmail.com signers a minute);
unusual domains, the kind scripted attacks use, are not.
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache


def client_ip(request):
    """The caller's address: REMOTE_ADDR, unless it is a proxy we were told to trust.

    X-Forwarded-For is read only from TRUSTED_PROXIES, and only its last entry
    that is not itself one of them: anything further left is the client's word.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.TRUSTED_PROXIES or not _trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return remote


def _trusted(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def _hit(scope, limits):
    """Count one attempt against each (count, seconds) limit; the seconds to wait if any is exceeded."""
    now = time.time()
    wait = 0
    for allowed, seconds in limits:
        window = int(now // seconds)
        key = f"rl:{scope}:{seconds}:{window}"
        if cache.add(key, 1, seconds + 1):
            used = 1
        else:
            try:
                used = cache.incr(key)
            except ValueError:  # expired between the two calls
                cache.add(key, 1, seconds + 1)
                used = 1
        if used > allowed:
            wait = max(wait, int((window + 1) * seconds - now) + 1)
    return wait


def signing_wait(ip_hash, email_domain):
    """Seconds this signer must wait before signing, or 0 if they may sign now."""
    wait = _hit(f"ip:{ip_hash}", settings.SIGN_LIMITS_PER_IP)
    if email_domain not in settings.RATE_LIMIT_EXEMPT_DOMAINS:
        # Hashed: a domain can be longer than a cache key may be.
        domain_key = hashlib.blake2b(email_domain.encode(), digest_size=16).hexdigest()
        wait = max(wait, _hit(f"domain:{domain_key}", settings.SIGN_LIMITS_PER_DOMAIN))
    return wait


def resend_wait(ip_hash):
    return _hit(f"resend:{ip_hash}", settings.RESEND_LIMITS_PER_IP)
