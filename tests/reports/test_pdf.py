"""PDF and SVG charts (apps/reports/pdf.py, apps/reports/charts.py).

The PDF checks use poppler-utils (scripts/system-packages.txt): ``pdffonts`` says which fonts
a document embeds and whether they are subsets, ``pdftoppm`` rasterises a page, so "renders"
means a page with ink on it, not just bytes that start with ``%PDF``.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

import pytest
from django_tenants.utils import tenant_context

from apps.reports.charts import chart_svg, nice_ticks, validate_spec
from apps.reports.pdf import render_html, render_pdf

SVG = "{http://www.w3.org/2000/svg}"


def _run(*args: str) -> str:
    """poppler-utils' output (fixed binaries from scripts/system-packages.txt, our own files)."""
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout  # noqa: S603


def pdffonts(pdf: bytes, tmp_path) -> list[list[str]]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = _run("pdffonts", str(path))
    return [line.split() for line in out.splitlines()[2:]]


def ink_fraction(pdf: bytes, tmp_path) -> float:
    """The share of non-white pixels on page 1 at 40 dpi (PNG, greyscale)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    _run("pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "page"))
    from PIL import Image

    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    pixels = list(image.getdata())
    return sum(1 for pixel in pixels if pixel < 200) / len(pixels)


def test_pdf_embeds_a_subset_of_noto_sans_cjk_and_renders(acme, tmp_path):
    spec = {
        "type": "bar",
        "title": "接通量",
        "categories": ["一月", "二月"],
        "series": [{"name": "售后队列", "data": [3, 5]}],
        "unit": "count",
    }
    with tenant_context(acme.tenant):
        pdf = render_pdf(
            "reports/pdf/sample.html",
            {"document_title": "服务水平报表", "body": "您好，这是中文报表。", "chart_svg": chart_svg(spec)},
        )

    assert pdf.startswith(b"%PDF")
    fonts = pdffonts(pdf, tmp_path)
    cjk = [row for row in fonts if "NotoSansCJK" in row[0].replace("-", "")]  # "ABCDEF+Noto-Sans-CJK-SC"
    assert cjk, fonts
    for row in cjk:
        name, emb, sub = row[0], row[-5], row[-4]
        assert "+" in name  # a subset's name carries a six-letter tag
        assert (emb, sub) == ("yes", "yes"), row
    # Subset: the 16 MB font collection is not in the file. A subset keeps the font's glyph
    # ids (WeasyPrint's HarfBuzz subsetting retains them), so an almost empty CJK glyph table
    # of ~65,000 entries costs ~70-110 kB per weight; regular and bold stay well under 400 kB.
    assert len(pdf) < 400_000
    assert ink_fraction(pdf, tmp_path) > 0.005


def test_pdf_prints_the_tenant_name_time_zone_and_generation_time(acme):
    with tenant_context(acme.tenant):
        html = render_html("reports/pdf/sample.html", {"document_title": "T", "body": "x"})
    assert acme.tenant.name in html
    assert acme.tenant.time_zone in html
    assert "Generated" in html


def test_pdf_fetches_no_urls(acme, tmp_path, monkeypatch):
    """A tenant's text cannot make the renderer read a local file or a URL."""
    with tenant_context(acme.tenant):
        pdf = render_pdf(
            "reports/pdf/sample.html",
            {
                "document_title": "T",
                "body": "x",
                "chart_svg": '<img src="file:///etc/passwd"><img src="http://example.invalid/x.png">',
            },
        )
    assert pdf.startswith(b"%PDF")
    assert b"root:" not in pdf


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own SVG


@pytest.mark.parametrize("kind", ["bar", "line", "stacked_bar"])
def test_chart_svg_is_valid_xml_with_every_series(kind):
    spec = {
        "type": kind,
        "title": "Answered <by> queue & day",
        "categories": ["Mon", "Tue", "Wed"],
        "series": [{"name": "Sales & <co>", "data": [10, None, 30]}, {"name": "售后", "data": [5, 7, 0]}],
        "unit": "count",
    }
    root = _parse(chart_svg(spec))

    assert root.tag == f"{SVG}svg"
    names = [group.get("data-series") for group in root.iter(f"{SVG}g") if group.get("class") == "chart-series"]
    assert names == ["Sales & <co>", "售后"]
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "Answered <by> queue & day" in texts
    assert {"Mon", "Tue", "Wed"} <= set(texts)
    assert {"Sales & <co>", "售后"} <= set(texts)  # the legend
    assert not any(element.get("style") for element in root.iter())  # CSP: no style attributes


def test_bar_heights_follow_the_data():
    spec = {
        "type": "bar",
        "title": "",
        "categories": ["a", "b"],
        "series": [{"name": "s", "data": [10, 20]}],
        "unit": "count",
    }
    rects = [rect for rect in _parse(chart_svg(spec)).iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    heights = [float(rect.get("height")) for rect in rects]
    assert len(heights) == 2
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.01)


def test_stacked_bars_stack():
    spec = {
        "type": "stacked_bar",
        "title": "",
        "categories": ["a"],
        "series": [{"name": "x", "data": [10]}, {"name": "y", "data": [30]}],
        "unit": "count",
    }
    rects = [rect for rect in _parse(chart_svg(spec)).iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    first, second = (float(rect.get("y")) for rect in rects)
    assert second + float(rects[1].get("height")) == pytest.approx(first, abs=0.2)  # y sits on top of x


def test_line_breaks_at_missing_values():
    spec = {
        "type": "line",
        "title": "",
        "categories": list("abcde"),
        "series": [{"name": "s", "data": [1, 2, None, 4, 5]}],
        "unit": "percent",
    }
    root = _parse(chart_svg(spec))
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert any((text.text or "").endswith("%") for text in root.iter(f"{SVG}text"))


def test_empty_chart_still_draws():
    root = _parse(chart_svg({"type": "bar", "title": "none", "categories": [], "series": [], "unit": "seconds"}))
    assert root.tag == f"{SVG}svg"


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "pie", "categories": [], "series": []},
        {"type": "bar", "categories": ["a"], "series": [{"name": "s", "data": [1, 2]}]},
        {"type": "bar", "categories": "ab", "series": []},
        {"type": "bar", "categories": [], "series": [], "unit": "euros"},
    ],
)
def test_bad_specs_are_refused(spec):
    with pytest.raises(ValueError):
        validate_spec(spec)


def test_nice_ticks_cover_the_range():
    ticks = nice_ticks(0, 87)
    assert ticks[0] == 0 and ticks[-1] >= 87
    assert len(ticks) <= 8


def test_a_starting_worker_loads_the_pdf_renderer():
    import sys

    from celery.signals import worker_init

    from apps.reports.tasks_delivery import _load_pdf_renderer

    assert _load_pdf_renderer in [receiver() for _key, receiver in worker_init.receivers]
    _load_pdf_renderer(sender=None)
    assert "weasyprint" in sys.modules
