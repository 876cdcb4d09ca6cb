"""A real server (`python app.py`) and Debian's Chromium driven by Playwright.

The server runs on a temporary SQLite database with the scheduler on, as
`make run` does; the browser is /usr/bin/chromium (the Makefile installs it),
never a downloaded one, with a fresh profile. Screenshots of each main screen,
at a laptop's and at a phone's width, go to tests/screenshots/ (git ignores it).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

import demo
import accounts
from core import migrations
from core.db import make_engine, make_session_factory

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app served by `python app.py` on a free port, with the demo people and API tokens."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.database_url = f"sqlite:///{folder / 'crm.db'}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tokens: dict[str, str] = {}
        self.process = None

    def seed(self) -> None:
        """Create the schema and the demo people, and an API token for each, before the server starts."""
        migrations.upgrade(self.database_url)
        engine = make_engine(self.database_url)
        with make_session_factory(engine).begin() as session:
            demo.load_demo(session)
            for name, *_ in demo.DEMO_USERS:
                self.tokens[name] = accounts.create_token(session, accounts.get_user(session, name))
        engine.dispose()

    def start(self) -> None:
        env = {**os.environ, "CRM_DATABASE_URL": self.database_url, "CRM_PORT": str(self.port),
               "CRM_SCHEDULER": "on", "CRM_DATA_DIR": str(self.folder)}
        log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise AssertionError("the server did not start:\n" + self.log())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("ui-server"))
    running.seed()
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """Debian's Chromium with a fresh profile."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            args=CHROMIUM_ARGS, headless=True, viewport=DESKTOP, accept_downloads=True,
            locale="zh-CN")
        yield context
        context.close()


class Screen:
    """One browser tab on the server, which checks and photographs each screen it shows."""

    def __init__(self, page, server: Server):
        self.page, self.server = page, server
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._on_console)
        page.on("response", self._on_response)

    def _on_console(self, message) -> None:
        # A page answered 422 (a refused form) is logged as a failed load; assets are checked below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _on_response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")

    def go(self, path: str):
        self.page.goto(self.server.url + path)
        return self.page

    def login(self, name: str, password: str):
        self.go("/login")
        self.page.fill("input[name=name]", name)
        self.page.fill("input[name=password]", password)
        self.page.click("form.stack button[type=submit]")
        self.page.wait_for_load_state()

    def logout(self):
        self.page.click(".usermenu summary")
        self.page.click(".usermenu button[type=submit]")
        self.page.wait_for_url("**/login")

    def capture(self, name: str) -> None:
        """Photograph the screen at a laptop's width, then at a phone's, which must not scroll sideways."""
        SCREENSHOTS.mkdir(exist_ok=True)
        page = self.page
        page.wait_for_load_state("networkidle")
        self._wait_for_widgets()
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(400)  # diagrams fit themselves again after a resize (100 ms debounce)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{name}: {width}px wide at a phone's {inner}px"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        assert self.errors == [], f"{name}: {self.errors}"

    def _wait_for_widgets(self) -> None:
        if self.page.locator(".diagram[data-bpmn-url]").count():
            self.page.wait_for_selector(".diagram[data-rendered], .diagram[data-load-error]")
            assert self.page.locator(".diagram[data-load-error]").count() == 0, "a diagram failed"
        if self.page.locator("#chart-data").count():
            self.page.wait_for_selector("body[data-charts=drawn]")


@pytest.fixture
def screen(chromium, server):
    page = chromium.new_page()
    yield Screen(page, server)
    page.close()
    chromium.clear_cookies()
