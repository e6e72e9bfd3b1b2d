"""Courts and justice bureaus see their own words for categories and leader roles."""
import io

from openpyxl import Workbook
from sqlalchemy import select

from review.core.access import Role
from review.extensions import db
from review.org.models import Category, LeaderRole, LeaderRoleLabel, Person
from review.org.roster import COLUMNS, RosterImporter

from ..factories import small_institution


def test_court_preset_renames_categories_and_roles_everywhere(client, auth, make, runner):
    o = small_institution(make)
    admin = make.user(Role.ADMIN, login="root")
    make.commit()
    result = runner.invoke(args=["org", "terminology", "--preset", "court"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()  # the command ran in a session of its own
    assert db.session.get(Category, "quota").label_zh == "员额法官"
    auth.as_user(admin)
    html = client.get(f"/org/units/{o['county'].id}").get_data(as_text=True)
    # The chief (a person named 检察长 in the fixture) now holds the role 院长.
    assert '">检察长</a></td><td>院长</td>' in html
    assert '">副检察长甲</a></td><td>副院长</td>' in html


def test_roster_import_understands_the_institutions_words(make, runner):
    make.unit("某法院", code="F1")
    make.commit()
    runner.invoke(args=["org", "terminology", "--preset", "court"])
    db.session.expire_all()
    wb = Workbook()
    ws = wb.active
    ws.append([c.zh for c in COLUMNS])
    ws.append(["F001", "法官甲", "男", "F1", "", "", "院长", "员额法官", "院长", "", "", "", "是"])
    out = io.BytesIO()
    wb.save(out)
    result = RosterImporter().run(out.getvalue(), apply=True)
    assert result.ok, result.errors
    p = db.session.scalar(select(Person).where(Person.staff_no == "F001"))
    assert p.leader_role is LeaderRole.CHIEF and p.category_code == "quota"


def test_admin_edits_names_and_bad_input_changes_nothing(client, auth, make):
    admin = make.user(Role.ADMIN, login="root")
    make.commit()
    auth.as_user(admin)
    form = {}
    for c in db.session.scalars(select(Category)):
        form[f"cat-zh-{c.code}"], form[f"cat-en-{c.code}"] = c.label_zh, c.label_en
    for r in db.session.scalars(select(LeaderRoleLabel)):
        form[f"role-zh-{r.role}"], form[f"role-en-{r.role}"] = r.label_zh, r.label_en
    bad = dict(form, **{"role-zh-chief": "", "cat-zh-quota": "改了"})
    assert client.post("/org/terminology", data=bad).status_code == 422
    db.session.expire_all()
    assert db.session.get(Category, "quota").label_zh == "员额检察官"
    good = dict(form, **{"role-zh-chief": "党组书记"})
    assert client.post("/org/terminology", data=good).status_code == 302
    db.session.expire_all()
    assert db.session.get(LeaderRoleLabel, "chief").label_zh == "党组书记"
