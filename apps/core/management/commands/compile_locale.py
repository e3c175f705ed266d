"""Compile every `<locale path>/*/LC_MESSAGES/*.po` to `.mo` with polib.

Django's `compilemessages` shells out to GNU gettext's msgfmt; this does the same in pure
Python, so a fresh machine (or a slim container) needs no system package. Fuzzy and obsolete
entries are left out, as msgfmt does.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the .po translation catalogues in LOCALE_PATHS to .mo files (no GNU gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Exit with an error if a .mo is missing or older than its .po."
        )

    def handle(self, *args, check: bool = False, **options):
        catalogues = sorted(po for base in settings.LOCALE_PATHS for po in Path(base).glob("*/LC_MESSAGES/*.po"))
        stale = []
        for po_path in catalogues:
            mo_path = po_path.with_suffix(".mo")
            if check:
                if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
                    stale.append(str(po_path))
                continue
            try:
                catalogue = polib.pofile(str(po_path))
            except (OSError, ValueError) as exc:
                raise CommandError(f"{po_path}: {exc}") from exc
            catalogue.save_as_mofile(str(mo_path))
            if options["verbosity"] >= 1:
                self.stdout.write(f"{mo_path} ({len(catalogue.translated_entries())} messages)")
        if stale:
            raise CommandError("Not compiled, run `manage.py compile_locale`: " + ", ".join(stale))
        if not catalogues and options["verbosity"] >= 1:
            self.stdout.write("No .po files found.")
