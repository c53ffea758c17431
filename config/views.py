"""Site-wide error views."""

import sys

from django.contrib import admin
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import permission_denied, server_error
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from petition.roles import MissingPermission

# Seconds a browser or crawler is asked to wait when the database is away.
RETRY_AFTER = 30


@requires_csrf_token
def error_500(request: HttpRequest) -> HttpResponse:
    """Django's 500 page, except when the database (or Redis) is unreachable: then a 503 saying try again shortly.

    While PostgreSQL restarts or fails over, every request that needs it fails
    at once (connections are refused, or time out after DATABASE_CONNECT_TIMEOUT)
    and says so kindly; the next request after it is back opens a fresh connection.
    """
    error = sys.exc_info()[1]
    if not isinstance(error, DatabaseError | RedisConnectionError | RedisTimeoutError):
        return server_error(request)
    # Rendered without context processors: they may need the database too.
    page = loader.get_template("503.html").render()
    return HttpResponse(page, status=503, headers={"Retry-After": str(RETRY_AFTER)})


@requires_csrf_token
def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Staff are refused in the admin's frame, told which permission they lack and which role has it."""
    user = getattr(request, "user", None)
    if user is None or not admin.site.has_permission(request):
        return permission_denied(request, exception or Exception())
    context = {
        **admin.site.each_context(request),
        "title": "You cannot open this page",
        "missing": exception.explanation() if isinstance(exception, MissingPermission) else "",
    }
    return render(request, "admin/403.html", context, status=403)
