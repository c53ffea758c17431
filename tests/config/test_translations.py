"""Every string a supporter can meet has its Welsh: makemessages is run on a copy of the code, and the test fails
on any string left without a translation (or marked fuzzy, which gettext would not use)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow  # a fresh process running xgettext over the code

# The same as `make messages` (the Makefile), which a developer runs after adding or changing a string.
MAKEMESSAGES = ["makemessages", "-l", "cy", "-e", "html,txt,py", "--no-obsolete"]
SOURCES = ["manage.py", "config", "accounts", "campaign", "petition", "templates", "locale"]


def entries(po: str) -> list[tuple[str, list[str], bool]]:
    """(msgid, its msgstr values, whether it is fuzzy) for every entry of a .po file but the header."""
    found = []
    for block in po.split("\n\n"):
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())
        fields: dict[str, str] = {}
        name = ""
        for line in block.splitlines():
            if match := re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line):
                name = match.group(1)
                fields[name] = match.group(2)
            elif line.startswith('"') and name:
                fields[name] += line[1:-1]
        if fields.get("msgid"):
            found.append((fields["msgid"], [v for k, v in fields.items() if k.startswith("msgstr")], fuzzy))
    return found


def test_every_string_a_supporter_sees_has_its_welsh(tmp_path: Path) -> None:
    copy = tmp_path / "site"
    copy.mkdir()
    for name in SOURCES:
        source = Path(settings.BASE_DIR) / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, copy / name)
    environment = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}
    subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES], cwd=copy, env=environment, check=True, capture_output=True
    )

    found = entries((copy / "locale/cy/LC_MESSAGES/django.po").read_text(encoding="utf-8"))

    assert len(found) > 200  # the extraction ran over the templates and the code
    untranslated = [msgid for msgid, translations, fuzzy in found if fuzzy or not all(translations)]
    assert untranslated == [], "Strings without Welsh in locale/cy/LC_MESSAGES/django.po (run make messages)"


def test_the_check_notices_a_new_string(tmp_path: Path) -> None:
    po = '#: x.html:1\nmsgid "Sign"\nmsgstr "Llofnodi"\n\n#: y.html:1\nmsgid "New words"\nmsgstr ""\n'
    assert [msgid for msgid, translations, _ in entries(po) if not all(translations)] == ["New words"]
