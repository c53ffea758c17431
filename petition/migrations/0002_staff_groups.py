"""The two staff roles, as groups with model permissions (never checks of usernames)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
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


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrations; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in grants:
            codenames = [action if "_" in action else f"{action}_{model}" for action in actions]
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("petition", "0001_initial"),
        ("campaign", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
