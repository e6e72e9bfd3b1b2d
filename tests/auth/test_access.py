"""Access is denied by default and checked on the server: every role against every protected route."""
import pytest

from review.core.access import PUBLIC, Role
from review.extensions import db

from review.campaigns.operations import create_campaign
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..campaigns.test_campaigns import PLAN
from ..factories import small_institution

READERS = {"admin", "office", "supervisor"}
EDITORS = {"admin", "office"}
ALL = {"admin", "office", "supervisor", "leader", "staff"}

# (method, url template, roles that may use it)
ROUTES = [
    ("GET", "/", ALL),
    ("GET", "/org/", READERS),
    ("GET", "/org/units/{county}", READERS),
    ("GET", "/org/departments/{d1}", READERS),
    ("GET", "/org/people", READERS),
    ("GET", "/org/people/{s1}", READERS),
    ("GET", "/org/people/{s1}/edit", EDITORS),
    ("GET", "/org/people/{s1}/move", EDITORS),
    ("GET", "/org/units/{county}/people/new", EDITORS),
    ("GET", "/org/roster/import", EDITORS),
    ("GET", "/org/roster/template.xlsx", EDITORS),
    ("GET", "/org/roster/export.xlsx", READERS),
    ("GET", "/org/team", {"leader", "admin", "office"}),
    ("GET", "/org/terminology", {"admin"}),
    ("GET", "/users", {"admin"}),
    ("GET", "/users/new", {"admin"}),
    ("GET", "/users/{staff_user}", {"admin"}),
    ("GET", "/audit", {"admin", "supervisor"}),
    ("GET", "/password", ALL),
    ("POST", "/org/units", {"admin"}),
    ("POST", "/org/units/{county}/departments", EDITORS),
    ("POST", "/org/departments/{d1}/rename", EDITORS),
    ("POST", "/org/roster/import/confirm", EDITORS),
    ("POST", "/users/{target_user}/reset-password", {"admin"}),
    ("GET", "/plans/", READERS),
    ("POST", "/plans/import", EDITORS),
    ("GET", "/plans/versions/{version}", READERS),
    ("GET", "/plans/versions/{version}/export.yaml", READERS),
    ("GET", "/plans/versions/{version}/edit", EDITORS),
    ("POST", "/plans/versions/{version}/save", EDITORS),
    ("POST", "/plans/validate", EDITORS),
    ("GET", "/ballots/", ALL),
    ("GET", "/ballots/grid/{campaign}/democratic", ALL),
    ("GET", "/ballots/999999", ALL),  # someone else's ballot or none: 404, never shown
    ("POST", "/logout", ALL),
    ("GET", "/campaigns/", READERS),
    ("POST", "/campaigns/", EDITORS),
    ("GET", "/campaigns/{campaign}", READERS),
    ("POST", "/campaigns/{campaign}/move", EDITORS),
    ("POST", "/campaigns/{campaign}/rescore", EDITORS),
    ("POST", "/campaigns/{campaign}/ballot-key", EDITORS),
    ("POST", "/campaigns/{campaign}/key-cards", EDITORS),
    ("GET", "/campaigns/{campaign}/count", EDITORS),
    ("POST", "/campaigns/{campaign}/count", EDITORS),
    ("GET", "/campaigns/{campaign}/enter/work", EDITORS),
    ("GET", "/campaigns/{campaign}/results", READERS),
    ("GET", "/campaigns/{campaign}/ballots", READERS),
    ("POST", "/campaigns/{campaign}/ballots/edit", EDITORS),
    ("GET", "/campaigns/{campaign}/results/{s1}", READERS),
    ("POST", "/campaigns/{campaign}/results/{s1}/veto", EDITORS),
    ("GET", "/campaigns/{campaign}/ballot-results", READERS),
    ("GET", "/campaigns/{campaign}/ballot-results/{s1}", READERS),
    ("GET", "/campaigns/{campaign}/ballot-results.xlsx", READERS),
    ("GET", "/campaigns/{campaign}/democratic-report", READERS),
    ("POST", "/campaigns/{campaign}/ballots/remind", EDITORS),
    ("GET", "/campaigns/{campaign}/outside", EDITORS),
    ("POST", "/campaigns/{campaign}/outside/remove", EDITORS),
    ("POST", "/campaigns/{campaign}/slips", EDITORS),
    ("GET", "/surveys/", READERS),
    ("POST", "/surveys/", EDITORS),
    ("GET", "/surveys/999999", READERS),
    ("POST", "/surveys/999999/tokens", EDITORS),
    ("POST", "/surveys/999999/batches/1/revoke", EDITORS),
    ("POST", "/surveys/999999/close", EDITORS),
    ("POST", "/surveys/999999/open-link", EDITORS),
    ("GET", "/surveys/999999/results", READERS),
    ("GET", "/surveys/999999/results/person/1", READERS),
    ("GET", "/surveys/999999/results.xlsx", READERS),
    ("POST", "/surveys/999999/texts/abc/moderate", EDITORS),
    ("GET", "/surveys/questionnaires", READERS),
    ("POST", "/surveys/questionnaires/import", {"admin"}),
    ("GET", "/surveys/questionnaires/versions/999999", READERS),
    ("GET", "/surveys/questionnaires/versions/999999/export.yaml", READERS),
    ("POST", "/campaigns/{campaign}/slips/999999/revoke", EDITORS),
    # quantitative data
    ("GET", "/campaigns/{campaign}/kpis", READERS),
    ("POST", "/campaigns/{campaign}/kpis/import", EDITORS),
    ("POST", "/campaigns/{campaign}/kpis/import/confirm", EDITORS),
    ("GET", "/campaigns/{campaign}/kpis/sheet.xlsx", READERS),
    ("GET", "/campaigns/{campaign}/kpis/batches/999999", READERS),
    ("POST", "/campaigns/{campaign}/kpis/entries/999999/review", EDITORS),
    ("GET", "/data-entry", ALL),
    # staff of a department with people in the campaign; the leader here heads no department
    ("GET", "/campaigns/{campaign}/kpis/entries", {"admin", "office", "supervisor", "staff"}),
    # api keys
    ("GET", "/api-keys/", EDITORS),
    ("GET", "/api-keys/new", EDITORS),
    ("POST", "/api-keys/new", EDITORS),
    ("GET", "/api-keys/999999/revoke", EDITORS),
    ("POST", "/api-keys/999999/revoke", EDITORS),
    # claims, registers, evidence
    ("GET", "/claims/", ALL),
    ("GET", "/claims/new", ALL),
    ("GET", "/claims/review", ALL),
    ("GET", "/claims/999999", ALL),  # someone else's claim or none: 404, never shown
    ("POST", "/claims/999999/decide", ALL),
    ("POST", "/claims/999999/withdraw", ALL),
    ("GET", "/claims/campaigns/{campaign}", READERS),
    ("POST", "/claims/campaigns/{campaign}/deductions", EDITORS),
    ("GET", "/evidence/999999", ALL),  # a file one may not read or none: 404
    ("GET", "/registers/", READERS),  # and the keeper departments' people, whatever their role
    ("GET", "/registers/commendation", READERS),
    ("GET", "/registers/commendation/export.xlsx", READERS),
    ("POST", "/registers/commendation", EDITORS),
    ("POST", "/registers/entries/999999/delete", EDITORS),
    ("GET", "/registers/keepers", EDITORS),
    ("POST", "/registers/keepers", EDITORS),
    # publication and appeals
    ("GET", "/my/results", ALL),
    ("GET", "/my/results/{campaign}", ALL),           # 404 unless published and appraising the user
    ("GET", "/my/results/{campaign}/ranking", ALL),   # the same, and only when the plan publishes it
    ("POST", "/my/results/{campaign}/appeal", ALL),
    ("GET", "/appeals/999999", ALL),                  # someone else's appeal or none: 404, never shown
    ("POST", "/appeals/999999/withdraw", ALL),
    ("POST", "/appeals/999999/decide", EDITORS),
    ("GET", "/appeals/", READERS),
    ("GET", "/appeals/campaigns/{campaign}", READERS),
    ("POST", "/appeals/adjustments/999999/withdraw", EDITORS),
    ("GET", "/appeals/campaigns/{campaign}/versions", READERS),
    ("GET", "/appeals/campaigns/{campaign}/versions/1", READERS),
    ("POST", "/appeals/campaigns/{campaign}/corrections", EDITORS),
    # results
    ("GET", "/campaigns/{campaign}/results.xlsx", READERS),
    # the archive of appraisal files (files that do not exist: 404 to those allowed)
    ("GET", "/archive/", READERS),
    ("GET", "/archive/people/{s1}/2025", READERS),
    ("POST", "/archive/people/{s1}/2025/reissue", EDITORS),
    ("GET", "/archive/files/999999", READERS),
    ("GET", "/archive/units/{county}/2025.zip", READERS),
    ("GET", "/archive/departments/{d1}/2025.zip", READERS),
    ("POST", "/archive/builds", EDITORS),
    ("GET", "/archive/builds/999999", READERS),
    ("POST", "/archive/builds/999999/abandon", EDITORS),
]


@pytest.fixture
def world(make):
    o = small_institution(make)
    users = {
        "admin": make.user(Role.ADMIN, login="root"),
        "office": make.user(Role.OFFICE, person=make.person(department=o["d3"], category="admin"), scope=o["city"]),
        "supervisor": make.user(Role.SUPERVISOR, person=make.person(department=o["d3"]), scope=o["city"]),
        "leader": make.user(Role.LEADER, person=o["dep1"]),
        "staff": make.user(Role.STAFF, person=o["s1"][0]),
    }
    target = make.user(Role.STAFF, person=o["s1"][2])
    version = save_plan(load_plan(PLAN))
    campaign = create_campaign(version, o["county"])
    make.commit()
    ids = {"county": o["county"].id, "d1": o["d1"].id, "s1": o["s1"][1].id, "staff_user": users["staff"].id,
           "target_user": target.id, "version": version.id, "campaign": campaign.id}
    return users, ids


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={})


@pytest.mark.parametrize("method,template,allowed", ROUTES, ids=[f"{m} {t}" for m, t, _ in ROUTES])
def test_each_role_against_each_route(client, auth, world, method, template, allowed):
    users, ids = world
    url = template.format(**ids)
    resp = _call(client, method, url)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"], "anonymous must be sent to log in"
    for role, user in users.items():
        auth.as_user(user)
        resp = _call(client, method, url)
        if role in allowed:
            assert resp.status_code not in (401, 403), f"{role} refused on {method} {url}"
        else:
            assert resp.status_code == 403, f"{role} got {resp.status_code} on {method} {url}"
        auth.logout()


def test_every_endpoint_declares_an_access_rule(app):
    undeclared = [name for name, view in app.view_functions.items()
                  if name != "static" and getattr(view, "access_rule", None) is None]
    assert undeclared == []


def test_scoped_office_cannot_open_units_outside_its_subtree(client, auth, make):
    o = small_institution(make)
    office = make.user(Role.OFFICE, person=make.person(department=o["d3"]), scope=o["county"])
    make.commit()
    auth.as_user(office)
    assert client.get(f"/org/units/{o['county'].id}").status_code == 200
    assert client.get(f"/org/units/{o['city'].id}").status_code == 403
    assert client.get(f"/org/people/{o['city_chief'].id}").status_code == 403
    people = client.get("/org/people?status=all").get_data(as_text=True)
    assert "一部干警0" in people and "市检察长" not in people


def test_unknown_page_is_404_in_site_style(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404
    assert "404" in resp.get_data(as_text=True) and "<nav" in resp.get_data(as_text=True)


def test_logout_ends_the_session(client, auth, world):
    users, _ = world
    auth.as_user(users["admin"])
    assert client.get("/users").status_code == 200
    auth.logout()
    assert client.get("/users").status_code == 302


def test_disabled_account_cannot_log_in_and_loses_its_session(client, auth, world):
    users, _ = world
    staff = users["staff"]
    auth.as_user(staff)
    assert client.get("/").status_code == 200
    staff.active = False
    db.session.commit()
    assert client.get("/").status_code == 302
    resp = auth.as_user(staff)
    assert resp.status_code == 200 and "/login" not in resp.headers.get("Location", "")


def test_every_protected_endpoint_is_in_the_matrix(app, world):
    _users, ids = world
    adapter = app.url_map.bind("localhost")
    covered = {adapter.match(t.format(**ids), method=m)[0] for m, t, _ in ROUTES}
    protected = {name for name, view in app.view_functions.items()
                 if name != "static" and getattr(view, "access_rule", None) != PUBLIC}
    assert protected - covered == set()
