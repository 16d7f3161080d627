"""Reports' own tables: KPI rollups (rollups.py), report runs and schedules (runs.py).

Each module adds its names to ``__all__`` below (kept sorted)."""

__all__: list[str] = []
