"""Dealflow: wiring only. `python app.py` serves the app with the scheduler in-process."""
from __future__ import annotations

import os
import secrets

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from core import migrations, settings
from core.db import make_engine, make_session_factory

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def create_app(config: dict | None = None) -> Flask:
    """Create the Flask app; `config` overrides settings (tests pass DATABASE_URL)."""
    app = Flask(__name__, instance_path=str(settings.data_dir().resolve()))
    app.config.update(DATABASE_URL=settings.database_url(), MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
                      AUTO_MIGRATE=True, JSON_SORT_KEYS=False)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.is_secure_cookies(),
                      PERMANENT_SESSION_LIFETIME=12 * 3600, WTF_CSRF_TIME_LIMIT=None)
    app.config.update(config or {})
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _secret_key()  # Flask presets None
    if app.config["AUTO_MIGRATE"]:
        migrations.upgrade(app.config["DATABASE_URL"])
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["session_factory"] = make_session_factory(engine)

    from web import api, cli, db, errors, openapi
    from web import contracts
    from web import crm
    from web.customers import routes as customer_routes
    from web.customers import network as customer_network
    from web.customers import duplicates as duplicate_routes
    from web.customers import transactions as customer_transactions
    from web.customers import imports as customer_imports
    from web import audit as audit_routes
    from web import i18n, pages, signing_pages
    from web.pages import customers as customer_pages
    from web.pages import deals as deal_pages
    from web.pages import reports as report_pages
    from web import security, tokens
    security.init_app(app)
    from web.fields import IdConverter
    from web.input_checks import CheckedJSONProvider, check_request_text
    # Before the blueprints: a rule takes its converter when it is added.
    app.url_map.converters["int"] = IdConverter
    app.json = CheckedJSONProvider(app)
    app.before_request(check_request_text)
    db.init_app(app)
    errors.register_error_handlers(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(contracts.bp)
    app.register_blueprint(customer_routes.bp)
    app.register_blueprint(customer_network.bp)
    app.register_blueprint(duplicate_routes.bp)
    app.register_blueprint(duplicate_routes.pages_bp)
    app.register_blueprint(customer_transactions.bp)
    app.register_blueprint(customer_imports.bp)
    app.register_blueprint(crm.bp)
    app.register_blueprint(audit_routes.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(customer_pages.bp)
    app.register_blueprint(deal_pages.bp)
    app.register_blueprint(report_pages.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(signing_pages.bp)
    i18n.init_app(app)
    cli.register_commands(app)
    # Every page form carries a CSRF token; the APIs take bearer tokens, which a
    # forged cross-site request cannot carry. Keep this after the last blueprint.
    csrf = CSRFProtect(app)
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith("/api"):
            csrf.exempt(blueprint)
    return app


def _secret_key() -> str:
    key = os.environ.get("CRM_SECRET_KEY")
    if key:
        return key
    path = settings.data_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def start_scheduler(app: Flask):
    """Start the timer scheduler in this process and return it."""
    from engine.scheduler import TimerScheduler

    url = app.config["DATABASE_URL"]
    scheduler = TimerScheduler(app.extensions["session_factory"],
                               listen_url=url if url.startswith("postgresql") else None)
    scheduler.start()
    from web.customers.imports import start_import_runner
    start_import_runner(app)  # and jobs a crash left queued
    return scheduler


def main() -> None:
    """Serve with waitress, a production WSGI server, and the scheduler unless CRM_SCHEDULER=off."""
    from waitress import serve

    app = create_app()
    scheduler = start_scheduler(app) if settings.is_scheduler_on() else None
    print(f"Dealflow on http://{settings.host()}:{settings.port()}"
          f" (scheduler {'on' if scheduler else 'off'}): open it in a browser and log in"
          " (demo logins: `flask --app app demo` lists them)", flush=True)
    try:
        serve(app, host=settings.host(), port=settings.port(), threads=8)
    finally:
        if scheduler:
            scheduler.shutdown()


if __name__ == "__main__":
    main()
