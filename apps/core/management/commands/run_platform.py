"""`make run`: migrate, seed the demo, then run web + Celery worker + Celery beat in the
foreground; Ctrl+C / SIGTERM stops all of them and the embedded servers this run started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config import embedded


class Command(BaseCommand):
    help = "Run the whole platform locally (web, worker, beat) with demo data."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-seed", action="store_true")

    def handle(self, *args, **options):
        started_here = set(embedded.started)
        port, host = options["port"], options["host"]
        t0 = time.perf_counter()
        self.stdout.write("Migrating (public schema, template, tenants that are behind)…")
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_seed"]:
            call_command("seed_demo")
        bin_dir = Path(sys.executable).parent
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev")}
        commands = {
            "web": [
                str(bin_dir / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            "worker": [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "default,ops",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--hostname",
                "worker@%h",
            ],
            "beat": [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        procs: dict[str, subprocess.Popen] = {}
        for name, cmd in commands.items():
            procs[name] = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)
        self.stdout.write(self.style.SUCCESS(f"\nBizOSaaS is up in {time.perf_counter() - t0:.1f}s:"))
        shown_port = f":{port}"
        self.stdout.write(f"  Platform admin   http://{settings.PLATFORM_HOST}{shown_port}/admin/")
        self.stdout.write(f"  Partner API docs http://{settings.PLATFORM_HOST}{shown_port}/api/docs/")
        for slug in ("acme", "globex", "initech"):
            self.stdout.write(f"  Dashboard        http://{slug}.{settings.BASE_DOMAIN}{shown_port}/app/")
        self.stdout.write(f"  Health           http://{settings.PLATFORM_HOST}{shown_port}/readyz")
        self.stdout.write("  Staff sign-in needs a TOTP code: add the secret above to an authenticator app, or run")
        self.stdout.write("  `.venv/bin/python manage.py totp_now --email EMAIL`. Ctrl+C stops everything.\n")

        stopping = {"flag": False}

        def _stop(signum, frame):
            stopping["flag"] = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        exit_code = 0
        try:
            while not stopping["flag"]:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping everything.")
                        stopping["flag"] = True
                        exit_code = proc.returncode or 1
                        break
                time.sleep(0.3)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            from django.db import connections

            connections.close_all()
            if "redis" in started_here or embedded.started_by_owner("redis"):
                embedded.stop_redis()
            if "postgres" in started_here or embedded.started_by_owner("postgres"):
                embedded.stop_postgres()
            self.stdout.write("Stopped.")
        if exit_code:
            sys.exit(exit_code)
