"""The OpenAPI document is valid and describes exactly the API's routes (the other API tests
check every answer they get against it)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from review.api.openapi import document

from .conftest import DOC, PREFIX, check_against_document

IGNORED_METHODS = {"HEAD", "OPTIONS"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_document_is_valid_openapi():
    validate(document())


def test_every_api_route_is_documented_and_every_documented_operation_exists(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if (rule.rule + "/").startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(PREFIX):])
            served |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    documented = {(path, method) for path, ops in DOC["paths"].items() for method in ops
                  if method in {"get", "put", "post", "delete", "patch"}}
    assert served == documented
    assert len(served) == 5


def test_every_documented_path_parameter_is_in_its_route():
    for path, ops in DOC["paths"].items():
        names = {p["name"] for op in ops.values() for p in op.get("parameters", []) if p["in"] == "path"}
        assert names == {part[1:-1] for part in path.split("/") if part.startswith("{")}, path


def test_the_document_is_served_without_a_key(app, client):
    resp = client.get(PREFIX + "/openapi.json")
    assert resp.status_code == 200 and resp.get_json() == json.loads(json.dumps(document()))
    check_against_document(app, "GET", PREFIX + "/openapi.json", resp)


def test_the_examples_of_the_docs_match_the_request_schema():
    """The batch bodies shown in docs/api.md are valid requests."""
    text = DOCS.read_text(encoding="utf-8")
    bodies = [json.loads(block.split("'", 1)[0]) for block in text.split("-d '")[1:]]
    assert bodies
    schema = {"$ref": "#/components/schemas/BatchRequest", "components": DOC["components"]}
    for body in bodies:
        Draft202012Validator(schema).validate(body)


def test_the_answers_shown_in_the_docs_match_the_response_schemas():
    text = DOCS.read_text(encoding="utf-8")
    answers = [json.loads(block.split("```", 1)[0]) for block in text.split("```json")[1:]]
    kinds = {"status": "Error", "results": "ResultsPage", "batch_id": "BatchReport"}
    assert len(answers) == 3
    for answer in answers:
        name = next(kinds[k] for k in kinds if k in answer)
        Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": DOC["components"]}).validate(answer)
