from __future__ import annotations

import gettext

import polib
import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def locale_dir(tmp_path, settings):
    folder = tmp_path / "locale" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "es"}
    po.append(polib.POEntry(msgid="Overview", msgstr="Resumen"))
    po.append(polib.POEntry(msgid="Settings", msgstr="Ajustes", flags=["fuzzy"]))
    po.save(str(folder / "django.po"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    return folder


def test_compile_locale__po_catalogue__mo_readable_by_gettext_without_fuzzy(locale_dir):
    call_command("compile_locale", verbosity=0)

    with (locale_dir / "django.mo").open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.gettext("Overview") == "Resumen"
    assert catalogue.gettext("Settings") == "Settings"  # fuzzy: left out, as msgfmt does


def test_compile_locale__check_before_and_after__fails_then_passes(locale_dir):
    with pytest.raises(CommandError, match="Not compiled"):
        call_command("compile_locale", "--check", verbosity=0)

    call_command("compile_locale", verbosity=0)

    call_command("compile_locale", "--check", verbosity=0)


def test_compile_locale__project_catalogue__every_entry_translated():
    from django.conf import settings

    (po_path,) = [p for base in settings.LOCALE_PATHS for p in base.glob("es/LC_MESSAGES/django.po")]
    catalogue = polib.pofile(str(po_path))
    assert catalogue.percent_translated() == 100, [e.msgid for e in catalogue.untranslated_entries()]
    assert not catalogue.fuzzy_entries()
