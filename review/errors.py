"""Error pages in the site's style."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. If you submitted a form, go back, reload it and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has moved.")),
    413: (_l("File too large"), _l("The uploaded file is larger than the site accepts.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a while and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. The administrators can find it in the server log.")),
}


def _render(code: int):
    title, message = MESSAGES[code]
    if code == 413:
        message = _too_large_message()
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _too_large_message() -> str:
    """The limit of this request (evidence forms allow more than the others), in MB."""
    limit = request.max_content_length
    if not limit:
        return str(MESSAGES[413][1])
    return _("The upload is larger than %(mb)s MB, the most this page accepts. Nothing was saved: choose a "
             "smaller file and send the form again.", mb=f"{round(limit / (1024 * 1024), 1):g}")


def register_error_handlers(app) -> None:
    from werkzeug.exceptions import HTTPException

    from .api.errors import http_error, is_api_request, problem

    for code in (400, 403, 404, 413, 429):
        app.register_error_handler(code, lambda e, code=code: http_error(e) if is_api_request() else _render(code))

    @app.errorhandler(HTTPException)
    def other_http_error(e):
        # Pages keep Werkzeug's plain answer (405 …); the API answers in JSON whatever the error.
        return http_error(e) if is_api_request() else e

    @app.errorhandler(500)
    def internal_error(_e):
        db.session.rollback()
        return problem(500) if is_api_request() else _render(500)
