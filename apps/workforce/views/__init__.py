"""Workforce pages, one module per concern: shift types, the roster editor, the agent's own
schedule and iCal feed, clocking and corrections, handovers, requests and approvals, discipline.
Views are thin: they check the role, read through selectors, write through services."""
