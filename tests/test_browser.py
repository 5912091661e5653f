"""The HTML report as a person sees it: rendered in headless Chromium (issue 18).

Chromium (Debian's ``chromium``) is installed by ``.ci/run`` when missing; where it cannot be
installed these tests are skipped with the reason printed (``-ra``). Each run keeps the
screenshots under ``out/browser/`` (a CI artifact).

Chromium's command line writes every console message of the page to its log as
``INFO:CONSOLE``, without the level; the report has no script, so any console message is a
failure. A probe copy of the page adds one script that reports, through the console, every
image that did not decode; a canary page checks that console messages are caught at all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import alspaincohort as apc
from alspaincohort.report import build_report

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "out" / "browser"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
CONSOLE = re.compile(r"INFO:CONSOLE[^\]]*\] \"(.*)\", source: (.*)$", re.M)
PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) {
    if (!img.complete || img.naturalWidth === 0) console.error("broken image: " + img.alt);
  }
  console.log("probe: " + imgs.length + " images, " +
              imgs.filter(i => i.naturalWidth > 0).length + " decoded");
});
</script></body>"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium is not installed (.ci/run installs Debian's chromium; "
                "apt-get install chromium)")


def _render(page: Path, shot: Path, tmp: Path, height: int) -> list[tuple[str, str]]:
    """Open ``page`` in headless Chromium, save a screenshot; the console messages."""
    run = subprocess.run(
        [_chromium(), *FLAGS, f"--user-data-dir={tmp / 'profile'}", f"--screenshot={shot}",
         f"--window-size=1280,{height}", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "HOME": str(tmp)})
    assert shot.exists(), f"no screenshot (exit {run.returncode}): {run.stderr[-2000:]}"
    return CONSOLE.findall(run.stderr)


def _ink(shot: Path) -> float:
    """Share of pixels that are not background white, down to the last such row (a short page
    leaves the rest of a tall window white)."""
    import matplotlib.image as mpimg

    ink = np.any(mpimg.imread(str(shot))[..., :3] < 0.9, axis=-1)
    rows = np.flatnonzero(ink.any(axis=1))
    return float(ink[:rows.max() + 1].mean()) if len(rows) else 0.0


def test_console_messages_are_caught(tmp_path: Path) -> None:
    """The canary: a page that logs an error is seen to log it (the check can fail)."""
    page = tmp_path / "canary.html"
    page.write_text("<!doctype html><html><body><p>canary</p><script>"
                    "console.error('canary error');</script></body></html>", encoding="utf-8")
    messages = _render(page, tmp_path / "canary.png", tmp_path, 400)
    assert [m for m, _ in messages] == ["canary error"]


@pytest.mark.parametrize("pain", [True, False], ids=["with-pain", "without-pain"])
def test_report_renders_in_chromium(tmp_path: Path, pain: bool) -> None:
    """No console message; every figure decodes; the screenshot is not blank (kept under
    out/browser/)."""
    cohort = apc.simulate_cohort(250, seed=11)
    if not pain:  # as public PRO-ACT: no pain instrument at all
        a = cohort.assessments
        cohort = apc.Cohort(cohort.patients, a[~a.instrument.isin(["vas_pain", "nrs_pain"])],
                            cohort.pain_sites.iloc[:0], cohort.medications, cohort.events)
    page, _ = build_report(cohort, tmp_path / "report", progress=False)
    html_ = page.read_text(encoding="utf-8")
    assert "<script" not in html_
    n_images = html_.count("<img ")
    assert n_images >= (8 if pain else 2)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "report-with-pain" if pain else "report-without-pain"
    shot = OUT / f"{name}.png"
    shot.unlink(missing_ok=True)
    assert _render(page, shot, tmp_path, 9000) == []
    assert _ink(shot) > 0.03, "the screenshot is (nearly) blank"
    top = OUT / f"{name}-top.png"
    top.unlink(missing_ok=True)
    assert _render(page, top, tmp_path, 900) == []
    assert _ink(top) > 0.01
    probe = tmp_path / "probe.html"
    probe.write_text(html_.replace("</body>", PROBE), encoding="utf-8")
    messages = [m for m, _ in _render(probe, tmp_path / "probe.png", tmp_path, 900)]
    assert messages == [f"probe: {n_images} images, {n_images} decoded"]
