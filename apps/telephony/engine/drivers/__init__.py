"""Switch drivers: the interface (base) and the simulated switch (sim)."""
