"""The HTML report in a real browser: Debian's chromium, headless, driven by playwright.

What a person does with the page: read the lanes, find the marked root cause, click a message
and a procedure to see their fields, jump from a finding's evidence to its message. And the
page must draw: a screenshot that is not blank. Skipped without chromium or playwright, except
under CI, where both are installed (.ci/run) and a missing one fails the test.
"""
import base64
import datetime as dt
import os
import shutil

import pytest
from click.testing import CliRunner

from chrtool.cli import main

ENDC_UE = "001010000000001"


def _browser_or_skip():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if path and sync_playwright:
        return path, sync_playwright
    if os.environ.get("CI"):
        pytest.fail("the browser test needs chromium and playwright under CI "
                    "(apt-get install chromium; pip install -e '.[test]')")
    pytest.skip("chromium or playwright not installed")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """diagnose --format html of a simulated subscriber who loses the NR leg (SCG failure at
    weak SS-RSRP), with CHR in two export formats."""
    out = tmp_path_factory.mktemp("browser")
    runner = CliRunner()
    result = runner.invoke(main, ["simulate", "-o", str(out / "day"), "--seed", "3", "--ues", "2",
                                  "--scenario", "scg-failure-coverage", "--chr-format", "chr-v1,csv"])
    assert result.exit_code == 0, result.output
    page = out / "report.html"
    result = runner.invoke(main, ["diagnose", "--imsi", ENDC_UE, "--format", "html", "--tz",
                                  "+08:00", "-o", str(page), str(out / "day")])
    assert result.exit_code == 0, result.output
    return page


@pytest.fixture(scope="module")
def page(report):
    path, sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
            ("file:", "data:")) else route.continue_())            # offline: nothing fetched
        tab.goto(report.as_uri())
        tab.errors = errors
        yield tab
        browser.close()


def test_the_browser_shows_a_lane_per_node(page):
    heads = page.eval_on_selector_all(
        "#lanes .lanehead", "gs => gs.map(g => [...g.querySelectorAll('text')].map(t => t.textContent))")
    assert [h[0] for h in heads] == ["UE", "eNB", "gNB", "MME", "SGW", "PGW", "HSS"]
    assert all(h[1] for h in heads)
    # every lane head is drawn where its lane line is
    xs = page.eval_on_selector_all("#lanes .role", "ts => ts.map(t => t.getBBox().x + t.getBBox().width / 2)")
    lines = page.eval_on_selector_all("#ladder .lane", "ls => ls.map(l => l.x1.baseVal.value)")
    assert [round(x) for x in xs] == [round(x) for x in lines]
    assert page.errors == []


def test_the_root_cause_and_evidence_are_marked_in_red(page):
    assert page.locator("#ladder .m.root").count() == 1
    assert page.locator("#ladder .m.evidence").count() >= 1
    colour = page.eval_on_selector("#ladder .m.root .radio", "l => getComputedStyle(l).stroke")
    assert colour == "rgb(192, 24, 43)"
    assert page.locator("#ladder .m.root .badge").text_content() == "ROOT CAUSE"


def test_clicking_a_message_shows_its_decoded_fields(page):
    assert page.locator("#panel").is_hidden()
    page.locator("#ladder .m.root").click()
    panel = page.locator("#panel")
    assert panel.is_visible()
    text = panel.inner_text()
    assert "CHR SCG_FAILURE" in text and "t310-Expiry" in text and "root cause" in text
    root = page.evaluate("JSON.parse(document.getElementById('data').textContent)"
                         ".messages.find(m => m.mark === 'root').row")
    utc = dt.datetime.fromisoformat(root["ts"].replace("Z", "+00:00"))
    local = (utc + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    assert local in text and root["ts"] in text             # local time (UTC+8), and as decoded
    # an S1AP message: its IDs as decoded
    s1 = page.locator("#ladder .m", has_text="InitialContextSetupRequest").first
    s1.click()
    text = panel.inner_text()
    assert "S1AP InitialContextSetupRequest" in text and "mme_ue_s1ap_id" in text
    assert page.locator("#ladder .m.sel").count() == 1
    page.keyboard.press("Escape")
    assert panel.is_hidden()


def test_clicking_a_procedure_lists_its_messages(page):
    band = page.locator("#ladder .band.band-bad").first
    band.click()
    text = page.locator("#panel").inner_text()
    assert "failure" in text and "SCG_FAILURE" in text
    page.locator("#panel a", has_text="SCG_FAILURE").first.click()   # to the message
    assert "CHR SCG_FAILURE" in page.locator("#panel h3").inner_text()


def test_a_findings_evidence_link_selects_its_message(page):
    page.locator(".finding ul.evidence a").first.click()
    assert page.locator("#ladder .m.sel").count() == 1
    assert page.locator("#panel").is_visible()
    page.keyboard.press("Escape")


def test_the_screenshot_is_not_blank(page):
    shot = page.screenshot(full_page=True)
    # the browser itself counts the screenshot's colours: a blank page has one or two
    stats = page.evaluate("""async (src) => {
        const img = new Image(); img.src = src; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const colours = new Set(); let ink = 0;
        for (let i = 0; i < d.length; i += 4 * 7) {
            colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
            if (d[i] + d[i + 1] + d[i + 2] < 600) ink++;
        }
        return {colours: colours.size, ink: ink / (d.length / 28), w: img.width, h: img.height};
    }""", "data:image/png;base64," + base64.b64encode(shot).decode())
    assert stats["w"] >= 1400 and stats["h"] > 900
    assert stats["colours"] > 50 and stats["ink"] > 0.02, stats
