"""Administrators' command line, and error pages in the site's style."""
import io

from review.core.access import Role, public

from .conftest import make_app
from .factories import small_institution


def test_org_tree_and_relations_commands(runner, make):
    o = small_institution(make)
    make.commit()
    out = runner.invoke(args=["org", "tree"]).output
    assert "县院" in out and "- 第一检察部\t4" in out
    out = runner.invoke(args=["org", "relations", o["h1"].staff_no]).output
    assert "superiors:" in out and "副检察长甲" in out and "一部干警0" in out
    assert runner.invoke(args=["org", "relations", "nobody"]).exit_code != 0


def test_audit_list_command(runner, make):
    make.unit("审计单位")
    make.commit()
    out = runner.invoke(args=["audit", "list", "--action", "units."]).output
    assert "units.create" in out and "审计单位" in out


def test_users_create_and_reset_password_commands(runner, make):
    o = small_institution(make)
    make.commit()
    result = runner.invoke(args=["users", "create", o["s1"][0].staff_no, "--role", "office", "--scope",
                                 o["county"].code])
    assert result.exit_code == 0, result.output
    login, _name, password = result.output.strip().split("\t")
    assert login == o["s1"][0].staff_no and len(password) >= 10
    reset = runner.invoke(args=["users", "reset-password", login])
    assert reset.exit_code == 0 and reset.output.split("\t")[1].strip() != password
    listing = runner.invoke(args=["users", "list"]).output
    assert f"{login}\toffice\t{o['county'].code}" in listing


def test_upload_over_the_size_limit_gets_a_clear_page(app, client, auth, make):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    admin = make.user(Role.ADMIN, login="root")
    make.commit()
    auth.as_user(admin)
    resp = client.post("/org/roster/import", data={"file": (io.BytesIO(b"x" * 4096), "big.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413
    assert "413" in resp.get_data(as_text=True) and "<nav" in resp.get_data(as_text=True)


def test_unexpected_error_shows_the_500_page_without_details(_schema):
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    app = make_app(_schema)  # its own: routes cannot be added to the shared one once it has served
    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    html = resp.get_data(as_text=True)
    assert "500" in html and "secret internal detail" not in html and "Traceback" not in html


def test_error_pages_are_in_chinese(client, auth, make):
    staff = make.user(Role.STAFF)
    make.commit()
    assert "页面不存在" in client.get("/nowhere").get_data(as_text=True)
    auth.as_user(staff)
    resp = client.get("/users")
    assert resp.status_code == 403 and "无权访问" in resp.get_data(as_text=True)
