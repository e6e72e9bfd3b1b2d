"""Questionnaires stored and versioned, imported through the browser and the CLI, previewed."""
import io
import os

import pytest
from sqlalchemy import select

from review.core.access import Role
from review.extensions import db
from review.surveys.models import QuestionnaireVersion, StoredQuestionnaire
from review.surveys.operations import save_questionnaire
from review.surveys.yaml_io import dump_questionnaire, load_questionnaire

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "questionnaires")


def example(name: str) -> str:
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return f.read()


@pytest.fixture
def office(make, auth):
    """Questionnaires are shared by every unit: administrators import them."""
    user = make.user(Role.ADMIN, login="root")
    make.commit()
    auth.as_user(user)
    return user


def test_import_preview_and_export_through_the_browser(client, office):
    resp = client.post("/surveys/questionnaires/import",
                       data={"file": (io.BytesIO(example("party_satisfaction.yaml").encode()), "q.yaml")})
    assert resp.status_code == 302
    version = db.session.scalars(select(QuestionnaireVersion)).one()
    q = version.spec()
    page = client.get(f"/surveys/questionnaires/versions/{version.id}").get_data(as_text=True)
    assert q.title in page and all(question.text in page for question in q.questions())
    assert "满意" in page and "data-show-if" in page  # the satisfaction levels; conditions for the script
    english = client.get(f"/surveys/questionnaires/versions/{version.id}?lang=en").get_data(as_text=True)
    assert q.title_en in english
    exported = client.get(f"/surveys/questionnaires/versions/{version.id}/export.yaml").get_data(as_text=True)
    assert load_questionnaire(exported) == q


def test_an_invalid_file_is_refused_with_every_problem_and_nothing_saved(client, office):
    bad = example("party_satisfaction.yaml").replace("kind: satisfaction", "kind: stars", 1) + "\nextra: 1\n"
    resp = client.post("/surveys/questionnaires/import", data={"file": (io.BytesIO(bad.encode()), "q.yaml")})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "stars" in html and "extra" in html
    assert db.session.scalars(select(StoredQuestionnaire)).all() == []


def test_a_questionnaire_in_use_gets_a_new_version_instead_of_changing(app):
    q = load_questionnaire(example("party_satisfaction.yaml"))
    first = save_questionnaire(q)
    assert save_questionnaire(q).id == first.id  # unchanged: nothing new
    changed = load_questionnaire(example("party_satisfaction.yaml").replace(q.title, q.title + "（修订）"))
    assert save_questionnaire(changed).id == first.id and first.spec().title.endswith("（修订）")  # not in use: edited
    first.frozen = True
    again = load_questionnaire(example("party_satisfaction.yaml"))
    second = save_questionnaire(again)
    assert second.version == 2 and first.spec().title.endswith("（修订）")
    db.session.commit()


def test_cli_imports_and_lists(runner, app, tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(example("public_satisfaction.yaml"), encoding="utf-8")
    result = runner.invoke(args=["surveys", "import-questionnaire", str(path)])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["surveys", "questionnaires"]).output
    assert load_questionnaire(example("public_satisfaction.yaml")).name in listed
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n", encoding="utf-8")
    result = runner.invoke(args=["surveys", "import-questionnaire", str(bad)])
    assert result.exit_code == 1 and "nothing was saved" in result.output


def test_questionnaires_are_read_by_offices_and_imported_by_administrators(client, auth, make):
    staff = make.user(Role.STAFF)
    office = make.user(Role.OFFICE, scope=make.unit("县院"), login="office")
    make.commit()
    auth.as_user(staff)
    assert client.get("/surveys/questionnaires").status_code == 403
    auth.logout()
    auth.as_user(office)
    assert client.get("/surveys/questionnaires").status_code == 200
    resp = client.post("/surveys/questionnaires/import",
                       data={"file": (io.BytesIO(example("party_satisfaction.yaml").encode()), "q.yaml")})
    assert resp.status_code == 403
