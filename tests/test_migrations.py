"""Migrations: upgrade from empty yields exactly the models' schema; downgrade to base works."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from review import create_app
from review.extensions import db

from .conftest import create_pg_database, drop_pg_database

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
    else:
        url = create_pg_database("review_migrate")
        yield url
        drop_pg_database(url)


def test_upgrade_matches_models_and_downgrade_empties(empty_database):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"migrations and models differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"people", "units", "users", "audit_log"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_results_stored_before_get_their_summary_and_flag(empty_database):
    """Results computed before the summary column existed are read by the table as they were."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="4f5c06a3fa43")
        with db.engine.begin() as conn:
            for sql in (
                "INSERT INTO units (id, code, name, level, path, sort_order) VALUES (1, 'U1', '县院', 'county', '/1/', 0)",
                "INSERT INTO categories (code, label_zh, label_en, sort_order) VALUES ('quota', '员额检察官', 'Prosecutors', 0)",
                "INSERT INTO plans (id, name, created_at) VALUES (1, '方案', '2025-01-01 00:00:00')",
                "INSERT INTO plan_versions (id, plan_id, version, year, document, frozen, created_at) "
                "VALUES (1, 1, 1, 2025, '{}', true, '2025-01-01 00:00:00')",
                "INSERT INTO campaigns (id, name, plan_version_id, unit_id, year, period_kind, period_no, state, "
                "k_threshold, ballots_counted, created_at) VALUES (1, '年度考核', 1, 1, 2025, 'year', 1, 'closed', 3, "
                "false, '2025-01-01 00:00:00')",
                "INSERT INTO people (id, staff_no, name, category_code, unit_id, active) "
                "VALUES (1, 'A1', '甲', 'quota', 1, true), (2, 'A2', '乙', 'quota', 1, true)"):
                conn.exec_driver_sql(sql)
            old = ('{"lines": [], "subtotals": {"work": 40.5, "w1": 20}, "vetoes": %s, "flags": %s}')
            for pid, vetoes, flags in ((1, '["违纪"]', '["一票否决：违纪"]'), (2, "[]", "[]")):
                conn.exec_driver_sql(
                    "INSERT INTO results (campaign_id, person_id, total, detail, computed_at) "
                    f"VALUES (1, {pid}, 40.5, '{old % (vetoes, flags)}', '2025-02-01 00:00:00')")
        upgrade()
        from review.campaigns.models import Result
        from review.results.summary import for_people
        flagged = dict(db.session.execute(db.select(Result.person_id, Result.flagged)).all())
        assert flagged == {1: True, 2: False}
        summaries = for_people(1, [1, 2], ("work",))
        assert summaries[1].subtotals == {"work": 40.5} and summaries[1].vetoes == ("违纪",)
        assert summaries[1].flags == () and summaries[2].flagged is False
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
