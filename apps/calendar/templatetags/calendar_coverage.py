"""``{% calendar_coverage_banner %}``: the warning on the platform and tenant dashboards when the
next 60 days are not covered by the official holiday schedule."""

from __future__ import annotations

from django import template

from apps.calendar import selectors

register = template.Library()


@register.inclusion_tag("calendar/_coverage_banner.html")
def calendar_coverage_banner(link: str = ""):
    result = selectors.coverage()
    return {"coverage": result, "link": link, "days": selectors.WARN_DAYS}
