"""Template filters of the QA pages."""
