"""The teaching page in a real browser: `egov app` runs as a subprocess on a free port and
headless Chromium (Debian's `chromium`, driven by Playwright; no browser download) loads
the page, picks a teaching scenario, steps, moves a slider and plays. The charts must
change, the ghost (the run without the last change) must differ from the current run,
and no error may show. Screenshots go to $EGOV_TEST_ARTIFACTS or tests/artifacts/.

Skipped, saying why, when Playwright or /usr/bin/chromium is missing (.ci/run installs
both)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("EGOV_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("EGOV_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytest.importorskip("solara", reason="the app's packages are not installed (pip install -e '.[app]')")
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[test]')"
)
if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does)",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tempfile.TemporaryFile()  # noqa: SIM115 (read after the server stops)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "app", "teaching/hysteresis", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.3)
    if proc.poll() is not None:
        log.seek(0)
        pytest.fail(f"egov app exited with {proc.returncode}:\n{log.read().decode(errors='replace')}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.seek(0)
    output = log.read().decode(errors="replace")
    assert "Traceback" not in output, output


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?%?", text)


def images(page) -> dict[str, str]:
    """The src of every view image (PNG data URLs change when a chart is redrawn)."""
    out = {}
    for name in ("adoption", "agencies", "profile", "map", "network"):
        img = page.locator(f".egov-view-{name} img")
        if img.count():
            out[name] = img.first.get_attribute("src") or ""
    return out


def assert_no_error(page) -> None:
    alerts = page.locator(".v-alert.error, .v-alert--error, .error--text.v-alert")
    texts = [alerts.nth(i).inner_text() for i in range(alerts.count())]
    assert not texts, texts
    body = page.locator("body").inner_text()
    for marker in ("error in step", "Traceback", "not applied:"):
        assert marker not in body, body[:2000]


def test_the_page_plays_changes_and_shows_the_ghost(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    profile_dir = tempfile.mkdtemp(prefix="egov-chromium-")
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(
                profile_dir,
                executable_path=CHROMIUM,
                headless=True,
                args=LAUNCH_ARGS,
                viewport={"width": 1600, "height": 1200},
            )
            page = browser.new_page()
            page.goto(server)
            page.wait_for_selector(".egov-now", timeout=60_000)
            page.wait_for_selector(".egov-view-adoption img", timeout=30_000)
            assert "hysteresis" in page.locator("body").inner_text()

            # pick a teaching scenario in the selector
            page.locator(".v-select", has_text="scenario").first.click()
            page.locator(".v-list-item", has_text="teaching/tipping_point").first.click()
            page.wait_for_function(
                "() => document.body.innerText.includes('Only interoperability money')", timeout=30_000
            )
            page.screenshot(path=ARTIFACTS / "app-1-loaded.png", full_page=True)
            before = images(page)

            # step
            page.get_by_role("button", name="Step").click()
            page.wait_for_function(
                "() => /step [1-9]/.test(document.querySelector('.egov-now').innerText)", timeout=30_000
            )
            stepped = images(page)
            assert stepped["adoption"] != before["adoption"], "the adoption chart did not change after Step"

            # move the budget slider down (40 -> 36: 10% less)
            slider = page.get_by_role("slider", name="budget 40 bn/yr")
            assert slider.get_attribute("aria-valuenow") == "40"
            slider.focus()
            for _ in range(4):  # one gesture: the ghost keeps the run before it (budget 40)
                page.keyboard.press("ArrowLeft")
            page.wait_for_function("() => document.body.innerText.includes('ghost: budget')", timeout=30_000)

            # play a few simulated years: with the old budget the exchange has tipped (in
            # the first months), with the new one it stays fragmented
            page.get_by_role("button", name="▶").click()
            deadline = time.monotonic() + 90
            ghost_text = now_text = ""
            while time.monotonic() < deadline:
                now_text = page.locator(".egov-now").inner_text()
                ghost_text = page.locator(".egov-ghost").inner_text()
                year = re.search(r"\((\d{4})-", now_text)
                if year and int(year.group(1)) >= 2010:
                    break
                time.sleep(0.5)
            page.get_by_role("button", name="❚❚").click()
            time.sleep(1.0)
            now_text = page.locator(".egov-now").inner_text()
            ghost_text = page.locator(".egov-ghost").inner_text()
            page.screenshot(path=ARTIFACTS / "app-2-played.png", full_page=True)
            after = images(page)
            assert_no_error(page)
            browser.close()
    finally:
        shutil.rmtree(profile_dir, ignore_errors=True)

    year = re.search(r"\((\d{4})-", now_text)
    assert year and int(year.group(1)) >= 2010, now_text
    for name in ("adoption", "agencies", "map"):
        assert after[name] != stepped[name], f"{name} chart did not change while playing"
    links_now = float(re.search(r"data links joined ([0-9.]+)", now_text).group(1))
    links_ghost = float(re.search(r"data links joined ([0-9.]+)", ghost_text).group(1))
    assert "budget 40" in ghost_text, ghost_text
    assert links_ghost - links_now >= 0.3, (now_text, ghost_text)
