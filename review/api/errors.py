"""JSON errors for everything under /api/ — never an HTML page, whatever went wrong
(unknown path, wrong method, body too large, rate limit, server error).

Every error body has the same shape::

    {"status": 422, "error": "invalid_records", "message": "…", "errors": [{"row": 3, "column": "…", "message": "…"}]}

``error`` is a stable machine-readable code; ``message`` is for people (Chinese unless the
request asks for English with ``Accept-Language: en``); ``errors`` appears when there are details.
"""
from __future__ import annotations

from flask import has_request_context, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/"

GENERIC = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("A valid API key is required: send it as 'Authorization: Bearer <key>'.")),
    403: ("forbidden", _l("This API key may not do this.")),
    404: ("not_found", _l("There is nothing at this address, or not for this API key.")),
    405: ("method_not_allowed", _l("This address does not accept this method.")),
    409: ("conflict", _l("The request conflicts with the current state.")),
    413: ("too_large", _l("The request body is larger than the site accepts.")),
    415: ("unsupported_media_type", _l("Send the body as JSON, with 'Content-Type: application/json'.")),
    422: ("invalid", _l("The request could not be processed.")),
    429: ("rate_limited", _l("Too many requests for this API key. Please wait a while and try again.")),
    500: ("internal_error", _l("An unexpected error occurred. The administrators can find it in the server log.")),
}


def is_api_request() -> bool:
    return has_request_context() and (request.path + "/").startswith(API_PREFIX)


def problem(status: int, error: str | None = None, message: str | None = None, *, errors: list | None = None,
            headers: dict | None = None):
    """A JSON error response."""
    code, default = GENERIC.get(status, ("error", GENERIC[400][1] if status < 500 else GENERIC[500][1]))
    body: dict = {"status": status, "error": error or code, "message": str(message or default)}
    if errors is not None:
        body["errors"] = errors
    resp = jsonify(body)
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def http_error(e: HTTPException):
    """An HTTP error raised anywhere while serving an API path, as JSON."""
    status = e.code or 500
    headers = {}
    if status == 405:
        allow = dict(e.get_headers()).get("Allow")
        if allow:
            headers["Allow"] = allow
    return problem(status, headers=headers)
