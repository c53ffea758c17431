"""No staff page without the second factor: the one gate in front of the admin and every /staff/ page."""

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import get_script_prefix, reverse

from . import second_factor

STAFF_PREFIXES = ("/staff/",)


class SecondFactorMiddleware:
    """Send a staff member who has given only a password to the code page (or, without an authenticator yet, to
    set one up) from any address under the admin or /staff/. Installed after django-otp's OTPMiddleware.

    A gate on the address rather than a decorator on each view, so that a staff page added later is covered
    without anyone remembering to; the walk in tests/test_abuse.py visits every staff address to prove it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if self._gated(request.path_info) and second_factor.is_staff(user) and not user.is_verified():  # type: ignore[union-attr]
            return self._second_factor(request)
        return self.get_response(request)

    def _gated(self, path: str) -> bool:
        gated, ways_in = self._prefixes
        return path.startswith(gated) and not path.startswith(ways_in)

    @functools.cached_property
    def _prefixes(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What is gated, and the ways in under it, as paths within the site (like path_info, whatever prefix
        the site is served under): looked up once, as the public pages pass here too."""

        def within(name: str) -> str:
            return "/" + reverse(name).removeprefix(get_script_prefix())

        ways_in = (within("accounts:verify"), within("admin:login"), within("admin:logout"))
        return (within("admin:index"), *STAFF_PREFIXES), ways_in

    @staticmethod
    def _second_factor(request: HttpRequest) -> HttpResponse:
        step = "accounts:verify" if second_factor.has_authenticator(request.user) else "accounts:setup"  # type: ignore[arg-type]
        after = request.get_full_path() if request.method in ("GET", "HEAD") else reverse("admin:index")
        return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': after})}")
