"""The preview page, opened from file:// in a real headless Chromium (Debian's, driven by Playwright).

`.ci/run` installs Chromium and sets RADIOKIT_REQUIRE_BROWSER=1, so in CI a missing browser fails
these tests; on a machine without Chromium they are skipped, saying why.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any, Iterator

import pytest

from radiokit.report import BuildReport

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def page(built: BuildReport) -> Iterator[Any]:
    if not CHROMIUM:
        if os.environ.get("RADIOKIT_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (RADIOKIT_REQUIRE_BROWSER) but is not installed")
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI runs these")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto((built.folder / "index.html").as_uri())
        yield page
        browser.close()


def manifest(built: BuildReport) -> dict[str, Any]:
    return json.loads((built.folder / "manifest.json").read_text(encoding="utf-8"))


def test_page_lists_both_languages_chapters(page: Any, built: BuildReport) -> None:
    for language, entry in manifest(built)["languages"].items():
        section = page.locator(f'section[data-language="{language}"]')
        titles = section.locator(".chapters button .title").all_inner_texts()
        assert titles == [s["title"] for s in entry["segments"]]
        assert section.locator("audio").get_attribute("src") == entry["file"]
        assert f"{entry['integrated_lufs']:.1f} LUFS" in section.locator(".figures").inner_text()


@pytest.mark.parametrize("language", ["ru", "tg"])
def test_clicking_a_chapter_moves_the_player(page: Any, built: BuildReport, language: str) -> None:
    section = page.locator(f'section[data-language="{language}"]')
    player = section.locator("audio")
    player.evaluate("audio => new Promise(done => audio.readyState >= 1 ? done() : "
                    "audio.addEventListener('loadedmetadata', done, {once: true}))")
    segments = manifest(built)["languages"][language]["segments"]
    for index in (2, len(segments) - 1):
        section.locator(".chapters button").nth(index).click()
        page.wait_for_function("([audio, t]) => Math.abs(audio.currentTime - t) < 0.05",
                               arg=[player.element_handle(), segments[index]["start_s"]])
        # The highlight follows on the player's "seeked" event, a moment after currentTime moves.
        section.locator(".transcript p.current", has_text=segments[index]["title"]).wait_for(timeout=5000)
        assert section.locator(".transcript p.current").count() == 1


def test_page_makes_no_network_requests(built: BuildReport) -> None:
    html = (built.folder / "index.html").read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert "<script src" not in html
