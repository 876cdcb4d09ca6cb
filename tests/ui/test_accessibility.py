"""Accessibility and page speed of every main page, in Debian's Chromium on `python app.py` with the demo.

axe-core (node_modules, pinned in package.json) is injected into each page, in
Chinese and in English, and must find nothing serious or critical. The second
test loads each page five times and prints the median time to first byte and
to the end of the load event (the README's figures); it asserts the issue's
bound, 300 ms to load for every page but the contract's PDF view, on the
fastest of the five loads.

The server here holds the whole demo (processes deployed first, as `flask demo`
does), so that a task, a deal, a contract signed by both parties and a company
exist to be checked; the signing keys are made once in the server's data dir.
"""
from __future__ import annotations

import os
import re
import statistics

import pytest

import accounts
import demo
from core import migrations
from core.db import make_engine, make_session_factory
from playwright.sync_api import sync_playwright

from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, ROOT, Server

pytestmark = pytest.mark.slow

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BAD = {"serious", "critical"}
LOADS = 5
LOAD_BOUND_MS = 300
# The contract page shows its PDF in a frame, and its load waits for Chromium's PDF viewer:
# the bound leaves the PDF view out.
PDF_VIEW = {"contract"}


class DemoServer(Server):
    """The live app on a database holding the demo sales book, as `flask demo` leaves it."""

    def seed(self) -> None:
        migrations.upgrade(self.database_url)
        engine = make_engine(self.database_url)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CRM_DATA_DIR", str(self.folder))
            with make_session_factory(engine).begin() as session:
                demo.deploy_bundled_processes(session)
                demo.load_demo(session)
                for name, *_ in demo.DEMO_USERS:
                    self.tokens[name] = accounts.create_token(session, accounts.get_user(session, name))
        engine.dispose()


# Autouse, so it comes before the browser: the demo signs its contracts with pyHanko, whose
# synchronous calls run their own event loop and cannot inside Playwright's.
@pytest.fixture(scope="module", autouse=True)
def server(tmp_path_factory):
    running = DemoServer(tmp_path_factory.mktemp("a11y-server"))
    running.seed()
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """conftest's browser, but one that lets axe in past the app's Content-Security-Policy
    (script-src 'self' refuses an injected script, rightly)."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            args=CHROMIUM_ARGS, headless=True, viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
        yield context
        context.close()


def first_link(screen, path: str, pattern: str) -> str:
    """The first link on the page at `path` whose address matches `pattern`."""
    screen.go(path)
    hrefs = screen.page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    for href in hrefs:
        if re.fullmatch(pattern, href.split("?")[0]):
            return href
    raise AssertionError(f"no link matching {pattern} on {path}")


@pytest.fixture(scope="module")
def pages(chromium, server):
    """Every main page's address, the ones with an id found by following the app's own links."""
    page = chromium.new_page()
    screen = _Tab(page, server)
    screen.login("admin", "admin-demo-1")
    found = {
        "inbox": "/",
        "task": first_link(screen, "/", r"/tasks/[\w-]+"),
        "pipeline": "/pipeline",
        "processes": "/processes",
        "process": first_link(screen, "/processes", r"/processes/[\w-]+"),
        "contracts": "/contracts",
        "contract": first_link(screen, "/contracts", r"/contracts/\d+"),
        "verify": "/contracts/verify",
        "customers": "/companies",
        "company": first_link(screen, "/companies", r"/companies/\d+"),
        "data quality": "/data-quality",
        "audit log": "/audit",
        "deals": "/deals",
        "new deal": "/deals/new",
        "not found": "/no-such-page",
    }
    found["instance"] = first_link(screen, found["task"], r"/instances/\d+")
    found["contact"] = first_link(screen, found["company"], r"/contacts/\d+")
    found["won deal"] = first_link(screen, found["contract"], r"/instances/\d+")  # with its contract
    page.close()
    chromium.clear_cookies()
    return found


class _Tab:
    """Enough of conftest's Screen to log in and follow links, for the module fixture."""

    def __init__(self, page, server):
        self.page, self.server = page, server

    def go(self, path):
        self.page.goto(self.server.url + path)

    def login(self, name, password):
        self.go("/login")
        self.page.fill("input[name=name]", name)
        self.page.fill("input[name=password]", password)
        self.page.click("form.stack button[type=submit]")
        self.page.wait_for_load_state()


def switch_language(screen, code: str) -> None:
    screen.page.click(f".langswitch button[value={code}]")
    screen.page.wait_for_load_state()
    assert screen.page.get_attribute("html", "lang").startswith(code)


def serious_findings(page) -> list[str]:
    """axe's serious and critical violations on the page as shown, one line per rule and element."""
    page.wait_for_load_state("networkidle")
    if page.locator(".diagram[data-bpmn-url]").count():
        page.wait_for_selector(".diagram[data-rendered], .diagram[data-load-error]")
    if page.locator("#chart-data").count():
        page.wait_for_selector("body[data-charts=drawn]")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    return [f"{v['id']} ({v['impact']}): {' '.join(map(str, node['target']))} — {node['failureSummary']}"
            for v in violations if v["impact"] in BAD for node in v["nodes"]]


@pytest.mark.parametrize("code", ["zh", "en"])
def test_axe_finds_nothing_serious_on_any_main_page(screen, pages, code):
    screen.go("/login")
    if code != "zh":
        switch_language(screen, code)
    found = {"login": serious_findings(screen.page)}
    screen.login("admin", "admin-demo-1")
    for name, path in pages.items():
        screen.go(path)
        assert screen.page.get_attribute("html", "lang").startswith(code), name
        found[f"{name} {path}"] = serious_findings(screen.page)
    report = "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in found.items() if lines)
    assert not report, f"axe, {code}:\n{report}"


def timings(page, url: str) -> tuple[float, float, float]:
    """The median time to first byte and to the load event's end over LOADS loads, and the
    fastest load, in ms."""
    first_bytes, loads = [], []
    for _ in range(LOADS):
        page.goto(url)
        page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
        start, load = page.evaluate("(e => [e.responseStart, e.loadEventEnd])"
                                    "(performance.getEntriesByType('navigation')[0])")
        first_bytes.append(start)
        loads.append(load)
    return statistics.median(first_bytes), statistics.median(loads), min(loads)


def test_every_main_page_but_the_pdf_view_loads_within_300_ms(screen, pages, capsys):
    screen.login("admin", "admin-demo-1")
    # Each page's first load (cold caches, the first verification of a contract) is one of five.
    table = {name: timings(screen.page, screen.server.url + path) for name, path in pages.items()}
    with capsys.disabled():
        print(f"\n{'page':<14} {'first byte':>11} {'load':>8} {'fastest':>8}   (median of {LOADS}, ms;"
              f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        for name, (first_byte, load, fastest) in table.items():
            print(f"{name:<14} {first_byte:>11.0f} {load:>8.0f} {fastest:>8.0f}")
    # The bound holds the fastest load: the suite shares its cores, and other work only adds time.
    slow = {name: fastest for name, (_, _, fastest) in table.items()
            if fastest > LOAD_BOUND_MS and name not in PDF_VIEW}
    assert not slow, f"over {LOAD_BOUND_MS} ms to load: {slow}"
