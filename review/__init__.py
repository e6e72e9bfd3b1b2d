"""review: yearly appraisal for procuratorates, courts and justice bureaus."""
from __future__ import annotations

import os

from flask import Flask

from .extensions import babel, csrf, db, limiter, log_limiter_to, login_manager, migrate

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates")
STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")


def create_app(config: str | type | None = None, **overrides) -> Flask:
    """Build the application. ``config`` is a name from config.CONFIGS or a class."""
    from config import CONFIGS

    app = Flask(__name__, template_folder=TEMPLATES, static_folder=STATIC, instance_relative_config=True)
    config_class = CONFIGS[config or "development"] if isinstance(config, (str, type(None))) else config
    app.config.from_object(config_class)
    app.config.update(overrides)
    app.config["CONFIG_CLASS"] = config_class   # worker processes build the same application
    os.makedirs(app.instance_path, exist_ok=True)
    config_class.check(app)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    register_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (every table in the metadata)
    from .database import configure_engine
    from .i18n import compile_catalogs, select_locale

    from .core import after_commit  # noqa: F401  (jobs queued once a transaction commits)
    from .database import json_dumps, json_loads
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"json_serializer": json_dumps, "json_deserializer": json_loads,
                                               **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(TEMPLATES), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    log_limiter_to(app.logger)
    compile_catalogs()
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(os.path.dirname(__file__), "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l
    login_manager.login_message = _l("Please log in to open this page.")
    with app.app_context():
        configure_engine(db.engine, app.config.get("DB_PING_IDLE_SECONDS"))

    from .auth.models import User

    @login_manager.user_loader
    def load_user(identity: str):
        user_id, _, token = identity.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.can_log_in or user.session_token != token:
            return None
        return user


def register_blueprints(app: Flask) -> None:
    from . import ids
    ids.init_app(app)  # before any route is added: <int:...> ids are bounded to 1..2**31-1 (ids.MAX_ID)
    from .api.pages import bp as api_keys_bp
    from .api.routes import bp as api_bp
    from .auth.routes import bp as auth_bp
    from .ballots.routes import bp as ballots_bp
    from .ballots.report_routes import bp as ballot_results_bp
    from .ballots.slip_routes import bp as slips_bp
    from .ballots.outside_routes import bp as outside_bp
    from .surveys.routes import bp as surveys_bp
    from .surveys.public_routes import bp as survey_public_bp
    from .campaigns.routes import bp as campaigns_bp
    from .plans.routes import bp as plans_bp
    from .core.routes import bp as core_bp
    from .main.routes import bp as main_bp
    from .org.roster_routes import bp as roster_bp
    from .org.routes import bp as org_bp
    from .claims.routes import bp as claims_bp
    from .registers.routes import bp as registers_bp
    from .evidence.routes import bp as evidence_bp
    from .kpi.routes import bp as kpi_bp
    from .appeals.routes import bp as appeals_bp
    from .archive.routes import bp as archive_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(ballots_bp)
    app.register_blueprint(ballot_results_bp)
    app.register_blueprint(slips_bp)
    app.register_blueprint(outside_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(survey_public_bp)
    app.register_blueprint(core_bp)
    app.register_blueprint(claims_bp)
    app.register_blueprint(registers_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_keys_bp)
    app.register_blueprint(kpi_bp)
    app.register_blueprint(appeals_bp)
    app.register_blueprint(archive_bp)


def register_hooks(app: Flask) -> None:
    from .core.access import enforce_access
    from .errors import register_error_handlers
    from .security import set_security_headers
    from .templating import register_template_helpers

    app.before_request(enforce_access)
    app.after_request(set_security_headers)
    register_error_handlers(app)
    register_template_helpers(app)


def register_commands(app: Flask) -> None:
    from .api.cli import api_keys_cli
    from .auth.cli import users_cli
    from .ballots.cli import ballots_cli
    from .surveys.cli import surveys_cli
    from .campaigns.cli import campaigns_cli, jobs_cli
    from .archive.cli import archive_cli
    from .plans.cli import plans_cli
    from .core.cli import audit_cli
    from .demo.cli import demo_command
    from .org.cli import org_cli
    from .kpi.cli import scores_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(org_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(plans_cli)
    app.cli.add_command(campaigns_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(archive_cli)
    app.cli.add_command(ballots_cli)
    app.cli.add_command(surveys_cli)
    app.cli.add_command(api_keys_cli)
    app.cli.add_command(scores_cli)
