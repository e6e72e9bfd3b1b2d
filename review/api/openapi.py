"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Written as data next to the views it describes; tests/api check that it is a valid OpenAPI
document, that its paths and methods are exactly the API's routes, and that every response
the tests receive matches the schema declared here for its path, method and status.
Response objects are closed (``additionalProperties: false``), so an undocumented field fails
those tests too.
"""
from __future__ import annotations

from copy import deepcopy

from . import limits

VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict, *, required: list[str] | None = None, description: str | None = None) -> dict:
    out = {"type": "object", "properties": properties, "required": list(properties) if required is None else required,
           "additionalProperties": False}
    if description:
        out["description"] = description
    return out


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}

SCHEMAS = {
    "Error": _object({
        "status": {**INTEGER, "description": "The HTTP status, repeated."},
        "error": {**STRING, "description": "A stable code: unauthorized, campaign_not_found, invalid_request, "
                                           "invalid_records, batch_conflict, results_not_available, "
                                           "invalid_parameter, invalid_json, too_large, unsupported_media_type, "
                                           "rate_limited, not_found, method_not_allowed, internal_error …"},
        "message": {**STRING, "description": "For people: Chinese, or English with Accept-Language: en."},
        "errors": {"type": "array", "items": _ref("RowError"),
                   "description": "Every problem found, when there are details (422)."},
    }, required=["status", "error", "message"]),
    "RowError": _object({
        "row": {**_nullable(INTEGER), "description": "Position of the record in `records`, from 1; null for the "
                                                     "request as a whole."},
        "column": {**STRING, "description": "The measure code, `staff_no` (工号), or the request field."},
        "message": STRING,
    }),
    "Unit": _object({"code": STRING, "name": STRING}),
    "Campaign": _object({
        "id": INTEGER,
        "name": STRING,
        "unit": _ref("Unit"),
        "year": INTEGER,
        "period": _object({"kind": {"type": "string", "enum": ["year", "half", "quarter", "month"]},
                           "number": {**INTEGER, "description": "Which half, quarter or month (1 for a year)."}}),
        "state": {"type": "string", "enum": ["draft", "open", "closed", "published", "final"]},
        "accepts_values": {**BOOLEAN, "description": "KPI batches are accepted (draft or open)."},
        "results_available": {**BOOLEAN, "description": "Results can be read (closed, published or final)."},
        "publish_until": {**_nullable({"type": "string", "format": "date"}),
                          "description": "End of the publication period (公示), once published."},
    }),
    "CampaignList": _object({"campaigns": {"type": "array", "items": _ref("Campaign")}}),
    "Measure": _object({
        "code": {**STRING, "description": "The key to use in a record's `values`."},
        "name": {**STRING, "description": "The column title of KPI sheets."},
        "name_en": _nullable(STRING),
        "unit": {**_nullable(STRING), "description": "件, %, 天 …"},
        "min": {**_nullable(NUMBER), "description": "Least accepted value (null: no lower bound)."},
        "max": {**_nullable(NUMBER), "description": "Greatest accepted value (null: no upper bound)."},
        "integer": {**BOOLEAN, "description": "Only whole numbers are accepted."},
    }),
    "BatchRecord": _object({
        "staff_no": {**STRING, "description": "The person's staff number (工号)."},
        "values": {"type": "object", "description": "Measure code → value (a number; null leaves the measure "
                                                    "untouched).",
                   "additionalProperties": _nullable({"type": ["number", "string"]})},
    }),
    "BatchRequest": _object({
        "batch_id": {"type": "string", "minLength": 1, "maxLength": limits.BATCH_ID_MAX,
                     "pattern": f"^{limits.BATCH_ID_PATTERN}$",
                     "description": "Chosen by the client, unique per campaign: the same id sent again with the "
                                    "same records is answered from the first time and written once."},
        "records": {"type": "array", "items": _ref("BatchRecord"), "minItems": limits.MIN_RECORDS,
                    "maxItems": limits.MAX_RECORDS,
                    "description": "At least one record (an empty batch is refused: it would write nothing)."},
        "dry_run": {**BOOLEAN, "default": False,
                    "description": "Check and preview the changes; write nothing."},
    }, required=["batch_id", "records"]),
    "BatchReport": _object({
        "batch_id": STRING,
        "batch": {**_nullable(INTEGER), "description": "The server's batch number (null in a dry run)."},
        "campaign": INTEGER,
        "dry_run": BOOLEAN,
        "applied": {**BOOLEAN, "description": "The batch is written (now or, for a replay, before)."},
        "replay": {**BOOLEAN, "description": "This batch id was applied before with the same records: "
                                             "nothing was written again."},
        "rows": {**INTEGER, "description": "Records received."},
        "values": {**INTEGER, "description": "Values received (new + changed + unchanged)."},
        "new": {**INTEGER, "description": "Values for a person and measure that had none."},
        "changed": {**INTEGER, "description": "Values replacing a different current value (kept as history)."},
        "unchanged": {**INTEGER, "description": "Values equal to the current one: left alone."},
        "changes": {"type": "array", "items": _ref("Change"), "description": "Dry run only: every change."},
    }, required=["batch_id", "batch", "campaign", "dry_run", "applied", "replay", "rows", "values", "new",
                 "changed", "unchanged"]),
    "Change": _object({
        "staff_no": STRING, "name": STRING, "measure": STRING,
        "before": _nullable(NUMBER), "after": NUMBER,
    }),
    "ResultLine": _object({
        "code": STRING,
        "path": {"type": "array", "items": STRING, "description": "Names from the top of the plan's tree."},
        "source": {**STRING, "description": "ballot, survey, kpi, bonus, deduction, manual …"},
        "max": {**NUMBER, "description": "The item's maximum points."},
        "points": {**_nullable(NUMBER), "description": "null: no data (counted as 0)."},
        "weight": _nullable(NUMBER),
        "raw": {**_nullable(STRING), "description": "The raw input, as shown to people."},
        "explanation": {**_nullable(STRING), "description": "How the points were computed."},
        "notes": {"type": "array", "items": STRING, "description": "Where the inputs came from."},
    }),
    "PersonResult": _object({
        "staff_no": STRING,
        "name": STRING,
        "unit": _ref("Unit"),
        "department": _nullable(STRING),
        "category": {**STRING, "description": "Staff category code (quota, assistant, admin …)."},
        "total": NUMBER,
        "grade": {**_nullable(STRING), "description": "null while data are missing."},
        "rank_category": _nullable(INTEGER),
        "rank_unit": _nullable(INTEGER),
        "computed_at": {**_nullable({"type": "string", "format": "date-time"}), "description": "UTC."},
        "lines": {"type": "array", "items": _ref("ResultLine")},
        "subtotals": {"type": "object", "additionalProperties": NUMBER,
                      "description": "Points of every dimension and group, by code (a leaf's are in its line)."},
        "vetoes": {"type": "array", "items": STRING},
        "flags": {"type": "array", "items": STRING},
    }),
    "ResultsPage": _object({
        "campaign": INTEGER,
        "state": {"type": "string", "enum": ["closed", "published", "final"]},
        "final": BOOLEAN,
        "total": {**INTEGER, "description": "People with results in the key's subtree."},
        "limit": INTEGER,
        "offset": INTEGER,
        "next_offset": {**_nullable(INTEGER), "description": "The offset of the next page; null on the last."},
        "results": {"type": "array", "items": _ref("PersonResult")},
    }),
}

# A campaign as listed, with its plan and measures.
_detail = deepcopy(SCHEMAS["Campaign"])
_detail["properties"].update({
    "plan": _object({"name": STRING, "version": INTEGER}),
    "people_in_scope": {**INTEGER, "description": "People appraised in the campaign within the key's subtree."},
    "measures": {"type": "array", "items": _ref("Measure"),
                 "description": "The measures a KPI batch may carry, in plan order."},
})
_detail["required"] = list(_detail["properties"])
SCHEMAS["CampaignDetail"] = _detail

CAMPAIGN_ID = {"name": "campaign_id", "in": "path", "required": True,
               "schema": {"type": "integer", "format": limits.ID_FORMAT, "minimum": limits.ID_MIN, "maximum": limits.ID_MAX},
               "description": "Any other number answers 404, as a campaign that does not exist."}
COMMON = {
    "401": _error("No key, an unknown or revoked key (with `WWW-Authenticate: Bearer`)."),
    "429": _error("Too many requests for this key (REVIEW_API_RATE_LIMIT)."),
    "500": _error("Unexpected error."),
}
NOT_FOUND = {"404": _error("No such campaign, or not visible to this key.")}


def document(page_max: int = 1000) -> dict:
    """The OpenAPI document (a fresh copy each time); ``page_max`` is the app's REVIEW_API_PAGE_MAX."""
    return deepcopy({
        "openapi": "3.1.0",
        "info": {
            "title": "review API",
            "version": VERSION,
            "description": (
                "Push KPI values into a campaign and read its results. Every request carries an API key "
                "(`Authorization: Bearer <key>`), created by an administrator or the performance office for a "
                "unit: it sees the campaigns of its unit's subtree and of the units above it, and within them "
                "only the people of its subtree. Errors are JSON objects (see Error). See docs/api.md."),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"apiKey": []}],
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "A key such as `rvk_3f9a1c0b2d.…`, shown once when created."}},
            "schemas": SCHEMAS,
        },
        "paths": {
            "/campaigns": {"get": {
                "operationId": "listCampaigns",
                "summary": "Campaigns visible to the key",
                "responses": {"200": _json(_ref("CampaignList"), "Newest year first."), **COMMON},
            }},
            "/campaigns/{campaign_id}": {"get": {
                "operationId": "getCampaign",
                "summary": "A campaign with the measures it accepts",
                "parameters": [CAMPAIGN_ID],
                "responses": {"200": _json(_ref("CampaignDetail"), "The campaign."), **NOT_FOUND, **COMMON},
            }},
            "/campaigns/{campaign_id}/kpi-batches": {"post": {
                "operationId": "pushKpiBatch",
                "summary": "Push a batch of KPI values: all of it or nothing",
                "description": (
                    "Every record is checked (staff number of a person appraised in the campaign and inside the "
                    "key's subtree, known measure codes, numbers within the declared ranges, whole numbers "
                    "where required, the campaign draft or open) before anything is written; one problem "
                    "refuses the whole batch with every problem listed. A value replaces the person's current "
                    "value of that measure, which is kept as history; equal values are left alone. The batch "
                    "id makes the push idempotent."),
                "parameters": [CAMPAIGN_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("BatchRequest")}}},
                "responses": {
                    "201": _json(_ref("BatchReport"), "Applied: every value written in one transaction."),
                    "200": _json(_ref("BatchReport"), "A dry run (nothing written, `changes` lists what would "
                                                      "change), or a replay of a batch id already applied with "
                                                      "the same records (nothing written again)."),
                    "400": _error("The body is not a JSON object."),
                    **NOT_FOUND,
                    "409": _error("The batch id was already used with other records (batch_conflict)."),
                    "413": _error("The body is larger than REVIEW_MAX_UPLOAD_MB."),
                    "415": _error("The body is not sent as application/json."),
                    "422": _error("Problems in the request or the records (every one listed in `errors`): "
                                  "nothing was written."),
                    **COMMON,
                },
            }},
            "/campaigns/{campaign_id}/results": {"get": {
                "operationId": "getResults",
                "summary": "Results of the key's people, a page at a time",
                "description": ("Readable once the campaign is closed (then published and final); `final` says "
                                "whether they can still change. Ordered by staff number."),
                "parameters": [
                    CAMPAIGN_ID,
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": page_max,
                                "default": min(limits.DEFAULT_LIMIT, page_max)},
                     "description": f"People per page, at most REVIEW_API_PAGE_MAX ({page_max})."},
                    {"name": "offset", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 0, "maximum": limits.OFFSET_MAX, "default": 0}},
                ],
                "responses": {
                    "200": _json(_ref("ResultsPage"), "One page of results."),
                    "400": _error("limit or offset out of range (invalid_parameter)."),
                    **NOT_FOUND,
                    "409": _error("The campaign is not closed yet (results_not_available)."),
                    **COMMON,
                },
            }},
            "/openapi.json": {"get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
    })
