"""Small helpers shared by views."""
from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login or a language switch."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.index")


def one_time_download(data: bytes, mimetype: str, name: str):
    """A file holding secrets that exist nowhere else (token slips, codes for text messages): sent as
    an attachment that no cache on the way may keep."""
    import io

    from flask import send_file
    resp = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    resp.headers["Cache-Control"] = "no-store"
    return resp
