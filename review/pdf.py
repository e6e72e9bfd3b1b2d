"""PDF rendering (WeasyPrint) and QR codes (segno) for printed documents.

The HTML comes from our templates but carries text people typed in, so WeasyPrint may
only read the application's static files and ``data:`` URLs: rendering must neither
reach the network (ballot slips leave no trace elsewhere) nor read any other local file.
"""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import segno
from flask import current_app, has_request_context, render_template, request
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

# Noto CJK comes with the Debian package fonts-noto-cjk (make system-deps); Source Han is
# the same design under Adobe's name, for machines that installed it instead.
CJK_FONT_STACK = '"Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", sans-serif'

# Relative URLs need an absolute base. Outside a request there is none, so use a host
# that can never resolve (RFC 2606): a fetch that got past the fetcher would go nowhere.
OFFLINE_BASE_URL = "http://pdf.invalid/"


class ResourceRefused(ValueError):
    """A PDF asked for something other than one of our static files or a data: URL."""


class StaticFileFetcher(URLFetcher):
    """Serves ``<base origin><static prefix>...`` from the static folder, and data: URLs.

    Everything else raises ResourceRefused, and the rendering stops (fail_on_errors):
    a slip printed without its stylesheet or seal image is worse than no slip.
    """

    def __init__(self, static_folder: str, static_prefix: str, base_url: str) -> None:
        # allowed_protocols: even what reaches the parent class can only be a data: URL.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=True)
        self.static_folder = static_folder
        self.static_prefix = static_prefix.rstrip("/") + "/"
        self.base_url = base_url
        base = urlsplit(base_url)
        self.origin = (base.scheme.lower(), base.netloc.lower())

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = self.static_path(url)
        mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if mime_type.startswith("text/"):
            # Our static text files are UTF-8; say so rather than let CSS guess.
            mime_type += "; charset=utf-8"
        with open(path, "rb") as file:
            body = file.read()
        return URLFetcherResponse(url, body, {"Content-Type": mime_type})

    def static_path(self, url: str) -> str:
        """The file a URL names under the static folder, or ResourceRefused."""
        parts = urlsplit(url)
        if (parts.scheme or parts.netloc) and (parts.scheme.lower(), parts.netloc.lower()) != self.origin:
            raise ResourceRefused(f"PDF resources come from static files only: {url}")
        path = unquote(parts.path)
        if not path.startswith(self.static_prefix):
            raise ResourceRefused(f"Not a static file URL: {url}")
        # safe_join refuses ".." escapes and absolute paths, as when Flask serves the file.
        target = safe_join(self.static_folder, path[len(self.static_prefix):])
        if target is None or "\0" in target:
            raise ResourceRefused(f"Outside the static folder: {url}")
        return target


def static_fetcher(base_url: str | None = None) -> StaticFileFetcher:
    """The fetcher render_pdf uses, for the current app (and request, if any)."""
    app = current_app
    if app.static_folder is None:
        raise RuntimeError("render_pdf needs the application's static folder")
    if has_request_context():
        script_root = request.script_root
        base_url = base_url or request.url_root
    else:
        # url_for outside a request prefixes APPLICATION_ROOT the same way.
        script_root = app.config.get("APPLICATION_ROOT", "/").rstrip("/")
        base_url = base_url or OFFLINE_BASE_URL
    return StaticFileFetcher(app.static_folder, script_root + (app.static_url_path or ""), base_url)


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes.

    ``base_url`` is the application's root URL that relative links resolve against;
    by default the current request's root, or an unresolvable host outside requests.
    Static URLs under it (``url_for('static', ...)``) are read from disk.
    """
    fetcher = static_fetcher(base_url)
    # A fresh configuration per document: @font-face rules a template adds must not
    # leak into the next document, and it costs a few milliseconds only.
    font_config = FontConfiguration()
    document = HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher)
    return document.write_pdf(font_config=font_config)


def render_pdf_template(template: str, /, *, base_url: str | None = None, **context: Any) -> bytes:
    """Render a template extending pdf/base.html (which needs ``cjk_font_stack``) to PDF."""
    html = render_template(template, cjk_font_stack=CJK_FONT_STACK, qr_svg=qr_svg, **context)
    return render_pdf(html, base_url=base_url)


def qr_svg(data: str, *, size_mm: float = 28) -> Markup:
    """A QR code as an inline SVG element, ``size_mm`` wide and high, for templates."""
    # Level M still reads through a fold or a pen stroke on paper. segno raises the level
    # further when that needs no more modules (boost_error), which only helps.
    qr = segno.make(data, error="m", micro=False)
    # Coordinates stay in modules (viewBox); the printed size is set in mm, so the code
    # stays vector and sharp at any size.
    svg = qr.svg_inline(omitsize=True, svgclass="qr", lineclass=None)
    size = f"{size_mm:g}mm"
    svg = svg.replace("<svg ", f'<svg width="{size}" height="{size}" role="img" ', 1)
    # Safe: segno writes only its own path data; ``data`` is encoded in the modules and
    # never appears as text in the markup.
    return Markup(svg)


@dataclass(frozen=True)
class SlipSheet:
    """An A4 sheet of cut-out slips, each with a QR code and a short code (meeting ballots, survey
    tokens). ``path`` is where the codes are typed in (e.g. ``slip/``); the QR code carries the link
    secret after ``#``, which browsers never send to a server."""
    title: str
    subtitle: str
    note: str
    base_url: str
    path: str

    @property
    def code_url(self) -> str:
        return self.base_url + self.path

    def link_url(self, link: str) -> str:
        return f"{self.code_url}#{link}"


def slip_sheet_pdf(sheet: SlipSheet, tokens) -> bytes:
    """The PDF of one slip per token (objects with ``link`` and ``code``)."""
    slips = [{"code": t.code, "qr": qr_svg(sheet.link_url(t.link), size_mm=30)} for t in tokens]
    return render_pdf_template("pdf/slips.html", sheet=sheet, slips=slips)
