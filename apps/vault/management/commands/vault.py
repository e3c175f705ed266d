"""`manage.py vault rotate | check | genkey`.

rotate: re-encrypt every encrypted value in every schema with the primary key of VAULT_KEYS
        (resumable: run it again after an interruption; audited as vault.rotate).
check:  decrypt every value; counts per key id, and every row that does not decrypt.
genkey: print a new `<key id>:<key>` entry to put first in VAULT_KEYS before a rotation.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.vault import crypto
from apps.vault.services import check_all, rotate_all

BAR_WIDTH = 30


class ProgressBar:
    """One line, redrawn in place (carriage return, padded over the previous line); at most
    ~10 redraws a second, plus the last one."""

    def __init__(self, stream, label: str):
        self.stream = stream
        self.label = label
        self.last = 0.0
        self.width = 0

    def __call__(self, done: int, total: int, where: str) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        share = done / total if total else 1.0
        filled = int(BAR_WIDTH * share)
        line = f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} {done}/{total} {where}"
        self.width = max(self.width, len(line))
        self.stream.write(f"\r{line.ljust(self.width)}", ending="")
        self.stream.flush()

    def finish(self) -> None:
        if self.width:
            self.stream.write("")


class Command(BaseCommand):
    help = "Vault key rotation and verification of every encrypted value in every schema."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{rotate,check,genkey}")
        rotate = sub.add_parser("rotate", help="Re-encrypt every value with the primary key (resumable).")
        rotate.add_argument("--batch-size", type=int, default=500)
        check = sub.add_parser("check", help="Verify every value decrypts; counts per key id.")
        check.add_argument("--batch-size", type=int, default=500)
        genkey = sub.add_parser("genkey", help="Print a new key entry for VAULT_KEYS.")
        genkey.add_argument("--id", dest="key_id", default="", help="Key id (default: k<UTC date and time>).")

    def handle(self, *args, **options):
        try:
            return getattr(self, f"do_{options['subcommand']}")(options)
        except crypto.KeyRingError as exc:
            raise CommandError(str(exc)) from None

    def do_genkey(self, options):
        key_id = options["key_id"] or f"k{timezone.now():%Y%m%d%H%M}"
        self.stdout.write(crypto.new_key_entry(key_id))
        self.stderr.write("Put it first in VAULT_KEYS (keep the old keys), restart, then run `vault rotate`.")

    def do_rotate(self, options):
        ring = crypto.key_ring()
        self.stdout.write(f"Rotating every encrypted value to key {ring.primary_id}…")
        bar = ProgressBar(self.stdout, "rotate")
        report = rotate_all(progress=bar, batch_size=options["batch_size"])
        bar.finish()
        self.stdout.write(
            f"Scanned {report.scanned}, re-encrypted {report.rotated}, "
            f"now on {ring.primary_id}: {report.per_key[ring.primary_id]}."
        )
        self._failures(report)
        self.stdout.write(self.style.SUCCESS("Rotation complete."))

    def do_check(self, options):
        ring = crypto.key_ring()
        bar = ProgressBar(self.stdout, "check")
        report = check_all(progress=bar, batch_size=options["batch_size"])
        bar.finish()
        self.stdout.write(f"{'key id':<34}values")
        for key_id in ring.keys:
            note = " (primary)" if key_id == ring.primary_id else ""
            self.stdout.write(f"{key_id + note:<34}{report.per_key[key_id]}")
        self.stdout.write(f"{'undecryptable':<34}{report.failed}")
        self._failures(report)
        self.stdout.write(self.style.SUCCESS(f"All {report.scanned} values decrypt."))

    def _failures(self, report) -> None:
        if not report.failed:
            return
        for failure in report.failures:
            self.stderr.write(f"  {failure}")
        if report.failed > len(report.failures):
            self.stderr.write(f"  … and {report.failed - len(report.failures)} more")
        raise CommandError(
            f"{report.failed} values cannot be decrypted (left untouched). "
            "Restore the key they name in VAULT_KEYS, or the rows, and run the command again."
        )
