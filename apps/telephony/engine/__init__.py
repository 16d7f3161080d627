"""Call control: the controller, switch drivers, clocks, stores and the run_engine service (docs/engine.md)."""
