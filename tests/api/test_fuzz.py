"""Schemathesis, driven by the OpenAPI document the app serves, sends every operation generated
requests (valid and invalid: examples, boundary values, random data, sequences) through the WSGI
app with a valid key, and every check it has must pass: no 500, every status and body as
documented, every valid request accepted and every invalid one refused, no answer without the key.
No network: the requests go straight to the app, on each test database."""
from __future__ import annotations

import collections

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.transport.wsgi import WSGITransport

from review.campaigns import operations as campaign_ops
from review.extensions import db

from .conftest import DOC, PREFIX

EXAMPLES_PER_OPERATION = 25
# Schemathesis's own default for positive_data_acceptance (schemathesis/config/_checks.py), and 422: see below.
VALID_REQUEST_ANSWERS = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]


@pytest.fixture
def fuzzed_app(app, world, monkeypatch):
    # Schemathesis 4.x sends its no-credentials probe (the ignored_auth check) to a WSGI app with
    # socket settings werkzeug's client does not take; they mean nothing in-process.
    send = WSGITransport.send

    def send_in_process(self, case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send_in_process)
    # Results can be read from one campaign; the others take KPI batches.
    campaign_ops.move(world.county_campaign, "close")
    db.session.commit()
    return app


def run_schemathesis(app, key: str):
    """Failures of every check and engine errors, and the number of requests per operation."""
    config = SchemathesisConfig.from_dict({
        "seed": 15,
        "suppress-health-check": ["all"],
        "headers": {"Authorization": f"Bearer {key}"},
        "generation": {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION, "deterministic": True,
                       "database": "none"},
        "checks": {"enabled": True},
        "operations": [{
            # Records that fit the schema are still checked against the campaign (a staff number of
            # one of its people, a known measure, a value in range): a 422 listing them is the
            # documented answer to schema-valid records that are wrong, not a refused valid request.
            "include-operation-id": "pushKpiBatch",
            "checks": {"positive_data_acceptance": {
                "expected-statuses": VALID_REQUEST_ANSWERS}},
        }],
        "workers": 1,
    })
    schema = schemathesis.openapi.from_wsgi(PREFIX + "/openapi.json", app, config=config)
    # The engine calls the app from a thread of its own; the test's session must hold no
    # transaction (SQLite would keep the engine's writes waiting on it).
    db.session.remove()
    problems, requests = [], collections.Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            requests[event.label] += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                for check in checks:
                    if check.status == Status.FAILURE:
                        problems.append(f"{event.label} {check.name}: {check.failure_info.failure.title} — "
                                        f"path {case.path_parameters} query {case.query} body {case.body!r:.300}")
        elif isinstance(event, events.NonFatalError):
            problems.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            problems.append(f"engine: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            problems += [f"run: {failure.title}" for failure in event.failures]
    return problems, requests


def test_schemathesis_finds_no_problem_in_any_operation(fuzzed_app, world):
    problems, requests = run_schemathesis(fuzzed_app, world.city_key)
    assert problems == [], "\n".join(problems)
    # Schemathesis leaves out the operation it loaded the document from (test_openapi checks that one).
    operations = {f"{method.upper()} {path}" for path, ops in DOC["paths"].items() for method in ops
                  if path != "/openapi.json"}
    assert len(operations) == 4
    assert {label for label, n in requests.items() if n} >= operations
