"""Reads of the platform's metering (seat-days, usage events) that the console pages share."""
