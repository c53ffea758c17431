"""The staff roles, as groups with model permissions (never checks of usernames).

Declared here once and granted after every `migrate` (and every `flush`, which empties the tables but
keeps the schema): a role gains a permission added to its list on the next deployment. Nothing is
taken away, so a permission staff granted a group by hand in the admin stays.
"""

import functools
from collections.abc import Callable
from typing import Concatenate, cast

from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest

ROLES: dict[str, list[tuple[str, str, list[str]]]] = {
    "Moderators": [
        # Moderators find a signer by the exact address in a withdrawal request, and see only its domain.
        ("petition", "signature", ["view", "change", "find_by_email"]),
        ("petition", "outgoingemail", ["view"]),
        ("petition", "auditentry", ["view"]),
        ("petition", "invalidation", ["view", "add", "change"]),
        ("petition", "signingpolicy", ["view", "add", "change"]),
        ("campaign", "campaign", ["view"]),
    ],
    "Campaign managers": [
        ("campaign", "campaign", ["view", "add", "change"]),
        ("campaign", "organiser", ["view", "add", "change"]),
        ("campaign", "ask", ["view", "add", "change", "delete"]),
        ("campaign", "fact", ["view", "add", "change", "delete"]),
        ("campaign", "source", ["view", "add", "change"]),
        ("campaign", "story", ["view", "add", "change", "delete"]),
        # The contacts export is the one place they see addresses: only of those who asked to hear more.
        ("petition", "signature", ["view", "export_signatures", "export_contacts"]),
        ("petition", "auditentry", ["view"]),
        ("petition", "invalidation", ["view"]),
        ("petition", "signingpolicy", ["view"]),
        # Updates to supporters: written here, sent through the outbox to those the form said we would tell.
        ("petition", "update", ["view", "add", "change", "delete", "send_update"]),
    ],
}


def grant_roles(using: str = "default", **kwargs: object) -> None:
    """Make each role's group, with every permission its list names (a post_migrate receiver)."""
    for name, grants in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = Q()
        for app_label, model, actions in grants:
            codenames = [action if "_" in action else f"{action}_{model}" for action in actions]
            wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*Permission.objects.using(using).filter(wanted))


class MissingPermission(PermissionDenied):
    """Refused for want of one permission: the 403 page names it and the roles that hold it."""

    def __init__(self, permission: str) -> None:
        self.permission = permission
        super().__init__(permission)

    def explanation(self) -> str:
        """What the member of staff needs, in words they can take to whoever runs the site."""
        app_label, _, codename = self.permission.partition(".")
        found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        name = found.name if found else self.permission
        roles = list(
            Group.objects.filter(permissions__content_type__app_label=app_label, permissions__codename=codename)
            .order_by("name")
            .values_list("name", flat=True)
        )
        if not roles:
            return f"You need the “{name}” permission, which no role has: ask whoever runs the site."
        # The roles are named in the plural ("Moderators", "Campaign managers").
        return f"You need the “{name}” permission ({' and '.join(roles)} have it)."


def require(user: User | AnonymousUser, permission: str) -> None:
    """Raise MissingPermission unless `user` holds `permission` (as "app_label.codename")."""
    if not user.has_perm(permission):
        raise MissingPermission(permission)


def permission_required[R: HttpRequest, **P, T](
    permission: str,
) -> Callable[[Callable[Concatenate[R, P], T]], Callable[Concatenate[R, P], T]]:
    """Django's decorator of that name, but its 403 page says which permission is missing and who has it."""

    def decorator(view: Callable[Concatenate[R, P], T]) -> Callable[Concatenate[R, P], T]:
        @functools.wraps(view)
        def checked(request: R, /, *args: P.args, **kwargs: P.kwargs) -> T:
            # Behind staff_member_required, as every staff view is: the user is a User.
            require(cast("User", request.user), permission)
            return view(request, *args, **kwargs)

        return checked

    return decorator
