"""``manage.py backup DIR``: the database and media files into a new directory (apps/core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the whole database (every tenant) and the media files into DIR (new or empty)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--media-root", type=Path, default=None, help="default: MEDIA_ROOT")

    def handle(self, *args, directory: Path, media_root: Path | None, **options):
        try:
            result = backup_create(directory=directory, media_root=media_root)
        except BackupError as error:
            raise CommandError(str(error)) from error
        files = ", ".join(sorted(result.manifest["files"]))
        tenants = len(result.manifest["tenant_schemas"])
        self.stdout.write(f"backup written to {directory}: {files}; {tenants} tenant schema(s)")
