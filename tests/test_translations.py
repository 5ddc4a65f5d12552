"""Every user-facing string has its Danish translation: checked as CI would find it.

``makemessages`` runs on a copy of the project (the real catalog is never
touched), exactly as a developer runs it; the Danish catalog it leaves must
have no untranslated and no fuzzy entry. A string added without a translation
fails here - that is the point: run the same ``makemessages`` command, translate
the new entries in ``locale/da/LC_MESSAGES/django.po`` (check any it marked
fuzzy: its guess is usually wrong) and ``compilemessages``.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

MAKEMESSAGES = [
    "makemessages",
    "-l",
    "da",
    "--ignore=.venv",
    "--ignore=var",
    "--ignore=tests",
    "--ignore=bench",
    "--no-obsolete",
]
SKIPPED_WHEN_COPYING = shutil.ignore_patterns(
    ".venv", ".git", "var", "node_modules", "__pycache__", "*.pyc", ".*_cache", "*.mo"
)


@pytest.fixture(scope="module")
def fresh_catalog(tmp_path_factory) -> polib.POFile:
    if shutil.which("xgettext") is None or shutil.which("msgfmt") is None:
        pytest.fail("gettext is needed: apt-get install gettext", pytrace=False)
    copy = tmp_path_factory.mktemp("fagdag") / "project"
    shutil.copytree(settings.BASE_DIR, copy, ignore=SKIPPED_WHEN_COPYING)
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATA_DIR": str(copy / "var"),
        "DJANGO_SETTINGS_MODULE": "fagdag.settings",
    }
    subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return polib.pofile(str(copy / "locale" / "da" / "LC_MESSAGES" / "django.po"))


def describe(entries) -> str:
    return "\n".join(
        f"  {entry.occurrences[0][0] if entry.occurrences else '?'}: {entry.msgid!r}"
        for entry in entries
    )


def test_every_string_is_translated_to_danish(fresh_catalog):
    untranslated = [e for e in fresh_catalog.untranslated_entries() if "fuzzy" not in e.flags]

    assert untranslated == [], (
        f"{len(untranslated)} string(s) without a Danish translation "
        f"(manage.py {' '.join(MAKEMESSAGES)}):\n{describe(untranslated)}"
    )


def test_no_translation_is_fuzzy(fresh_catalog):
    fuzzy = fresh_catalog.fuzzy_entries()

    assert fuzzy == [], (
        f"{len(fuzzy)} fuzzy translation(s): makemessages guessed them from similar "
        f"strings; check each and remove its fuzzy flag:\n{describe(fuzzy)}"
    )


def test_the_committed_catalog_compiles_with_matching_placeholders():
    catalog = Path(settings.BASE_DIR) / "locale" / "da" / "LC_MESSAGES" / "django.po"

    result = subprocess.run(  # noqa: S603 (our own command line)
        [shutil.which("msgfmt") or "msgfmt", "--check", "--output-file=/dev/null", str(catalog)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
