"""PDF infrastructure: Chinese text survives with an embedded subset font, QR codes are
inline SVG, and rendering reads nothing but our static files and data: URLs."""
from __future__ import annotations

import io
import os
import re
import socket

import pypdf
import pytest
from flask import render_template_string, url_for
from markupsafe import Markup
from weasyprint.urls import FatalURLFetchingError

from review import create_app
from review.pdf import CJK_FONT_STACK, ResourceRefused, qr_svg, render_pdf, static_fetcher

TEXT = "一人一档、一年一卷 东湖县人民检察院"

PAGE = """{% extends "pdf/base.html" %}
{% block title %}年度考核{% endblock %}
{% block content %}<h1>{{ text }}</h1>{{ qr }}{% endblock %}"""


@pytest.fixture(scope="module")
def pdf_app():
    # No database here: the conftest ``app`` fixture would create one per backend.
    return create_app("testing")


@pytest.fixture
def ctx(pdf_app):
    with pdf_app.app_context():
        yield pdf_app


@pytest.fixture
def no_network(monkeypatch):
    """Records any attempt to resolve a host name, the first step of any network access."""
    lookups: list[object] = []

    def refuse(*args, **kwargs):
        lookups.append(args)
        raise OSError("network access during a PDF rendering")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return lookups


def read(pdf: bytes) -> pypdf.PdfReader:
    assert pdf.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(pdf))


def embedded_fonts(reader: pypdf.PdfReader) -> dict[str, set[str]]:
    """BaseFont name -> the /FontFile* keys of its descriptor (empty: not embedded)."""
    fonts: dict[str, set[str]] = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = {k for k in descriptor if k.startswith("/FontFile")}
    return fonts


def test_chinese_text_comes_back_with_an_embedded_subset_font(ctx):
    html = render_template_string(PAGE, cjk_font_stack=CJK_FONT_STACK, text=TEXT, qr="")
    assert '"Noto Sans CJK SC"' in html  # not &#34;-escaped inside <style>
    reader = read(render_pdf(html))

    assert len(reader.pages) == 1
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]  # A4 in points
    assert TEXT in reader.pages[0].extract_text()
    fonts = embedded_fonts(reader)
    assert fonts
    for name, files in fonts.items():
        assert re.fullmatch(r"/[A-Z]{6}\+.+", name), f"{name} is not a subset"
        assert files, f"{name} is not embedded"
    assert any("CJK" in name for name in fonts)


def test_qr_code_is_an_inline_svg_that_renders(ctx):
    svg = qr_svg("https://review.example/ballots/slip/3f9c2a", size_mm=30)
    assert isinstance(svg, Markup)
    assert svg.startswith("<svg ") and "<?xml" not in svg
    assert "<path" in svg and 'role="img"' in svg
    assert 'width="30mm"' in svg and 'height="30mm"' in svg
    assert Markup("<div>{}</div>").format(svg) == f"<div>{svg}</div>"  # not escaped in templates

    html = render_template_string(PAGE, cjk_font_stack=CJK_FONT_STACK, text=TEXT, qr=svg)
    without = render_pdf(render_template_string(PAGE, cjk_font_stack=CJK_FONT_STACK, text=TEXT, qr=""))
    reader = read(render_pdf(html))
    assert len(reader.pages) == 1
    # The modules are drawn as vector paths, so the page's drawing grows.
    def drawing(reader: pypdf.PdfReader) -> int:
        return len(reader.pages[0].get_contents().get_data())
    assert drawing(reader) > drawing(read(without))


@pytest.mark.parametrize("url", [
    "http://example.com/x.png",
    "https://example.com/static/css/app.css",
    "file:///etc/passwd",
    "/static/../config.py",
    "/static/%2e%2e/config.py",
    "/static/css/../../config.py",
    "http://pdf.invalid/config.py",
    "/config.py",
    "ftp://example.com/x.png",
])
def test_fetcher_refuses_anything_but_static_files(ctx, no_network, url):
    with pytest.raises(ResourceRefused):
        static_fetcher().fetch(url)
    assert not no_network


def test_fetcher_serves_static_files_and_data_urls(ctx):
    fetcher = static_fetcher()
    with open(os.path.join(ctx.static_folder, "css", "app.css"), "rb") as file:
        expected = file.read()
    for url in ("/static/css/app.css", "http://pdf.invalid/static/css/app.css"):
        response = fetcher.fetch(url)
        assert response.read() == expected
        assert response.content_type == "text/css"
    assert fetcher.fetch("data:text/plain;base64,5Lit5paH").read() == "中文".encode()


def test_fetcher_follows_url_for_under_a_script_root(pdf_app):
    with pdf_app.test_request_context("/", base_url="http://review.example/kaohe/"):
        url = url_for("static", filename="css/app.css", _external=True)
        assert url == "http://review.example/kaohe/static/css/app.css"
        assert static_fetcher().fetch(url).content_type == "text/css"
        with pytest.raises(ResourceRefused):
            static_fetcher().fetch("http://review.example/static/css/app.css")


@pytest.mark.parametrize("tag", [
    '<img src="http://example.com/x.png">',
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="/static/../config.py">',
])
def test_a_refused_resource_stops_the_rendering(ctx, no_network, tag):
    with pytest.raises(FatalURLFetchingError):
        render_pdf(f"<html><body>{tag}<p>{TEXT}</p></body></html>")
    assert not no_network
