"""The staff roles, as groups with model permissions (never checks of usernames).

Declared here once and granted after every `migrate` (and every `flush`, which empties the tables but
keeps the schema): a role gains a permission added to its list on the next deployment. Nothing is
taken away, so a permission staff granted a group by hand in the admin stays.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

ROLES: dict[str, list[tuple[str, str, list[str]]]] = {
    "Moderators": [
        ("petition", "signature", ["view", "change"]),
        ("petition", "outgoingemail", ["view"]),
        ("petition", "auditentry", ["view"]),
        ("petition", "invalidation", ["view", "add", "change"]),
        ("campaign", "campaign", ["view"]),
    ],
    "Campaign managers": [
        ("campaign", "campaign", ["view", "add", "change"]),
        ("campaign", "ask", ["view", "add", "change", "delete"]),
        ("campaign", "fact", ["view", "add", "change", "delete"]),
        ("campaign", "source", ["view", "add", "change"]),
        ("campaign", "story", ["view", "add", "change", "delete"]),
        ("petition", "signature", ["view", "export_signatures"]),
        ("petition", "auditentry", ["view"]),
        ("petition", "invalidation", ["view"]),
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
