"""Forms of the QA pages, one module per concern."""
