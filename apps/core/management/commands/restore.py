"""``manage.py restore DIR --database NEW``: a backup into a new database (apps/core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup directory into a NEW database (it must not exist) and, with --media-root, "
        "its files into that directory. Point DATABASE_URL and MEDIA_ROOT at them once checked."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--database", required=True, help="name of the new database to create")
        parser.add_argument("--media-root", type=Path, default=None)

    def handle(self, *args, directory: Path, database: str, media_root: Path | None, **options):
        try:
            manifest = backup_restore(directory=directory, database=database, media_root=media_root)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"restored {directory} (taken {manifest['created_at']}) into database {database}"
            + (f" and media into {media_root}" if media_root else "")
        )
