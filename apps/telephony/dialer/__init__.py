"""Outbound dialing: pacing, the contact-source seam and its in-memory source (issue 4)."""
