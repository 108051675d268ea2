"""The web page in a real browser: Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.fakes.responses_api import Script

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "browser-test-token-0123456789"


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        # --no-sandbox: the tests may run as root (CI containers), where the sandbox refuses.
        browser: Browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def test_playground_shows_the_reply_growing_before_it_completes(make_web, page: Page):
    async with make_web(http_token=TOKEN) as web:
        web.h.model.queue(
            Script(text="alpha beta gamma delta epsilon zeta eta theta", chunk=6, rate=5)
        )
        await page.goto(f"{web.url}/?token={TOKEN}")  # the token becomes a cookie
        assert page.url == f"{web.url}/"
        await page.fill("#prompt", "say the Greek letters")
        await page.click("#send")
        await expect(page.locator("#reply")).to_contain_text("alpha", timeout=10_000)
        # Shown while streaming: the model has not finished and the page says so.
        assert web.h.model.streams[-1].ended is None
        await expect(page.locator("#answer")).to_have_attribute("data-state", "streaming")
        partial = await page.locator("#reply").text_content()
        assert partial != "alpha beta gamma delta epsilon zeta eta theta"
        await expect(page.locator("#answer")).to_have_attribute(
            "data-state", "done", timeout=15_000
        )
        await expect(page.locator("#reply")).to_have_text(
            "alpha beta gamma delta epsilon zeta eta theta"
        )
        await expect(page.locator("#footer")).to_have_text(
            re.compile(r"gpt-test · first token \d+\.\d\d s · total \d+\.\d\d s · \d+ tokens")
        )
    assert web.h.model.requests[-1].user_texts == ["say the Greek letters"]


async def test_playground_shows_an_error_clearly(make_web, page: Page):
    async with make_web() as web:
        await page.goto(f"{web.url}/")
        await page.click("summary")
        await page.fill("#temperature", "1.5")
        await page.fill("#model", "not-a-model")
        await page.fill("#prompt", "hi")
        await page.click("#send")
        await expect(page.locator("#ending")).to_contain_text("not-a-model", timeout=10_000)
        await expect(page.locator("#answer")).to_have_attribute("data-state", "error")
    assert web.h.model.requests == []


async def test_live_view_shows_a_discord_reply_in_flight(make_web, page: Page):
    async with make_web() as web:
        await page.goto(f"{web.url}/")
        await page.click("#tab-live")
        await expect(page.locator("#live-state")).to_contain_text("Following", timeout=10_000)
        web.h.model.queue(
            Script(text="one two three four five six seven eight nine", chunk=4, rate=5)
        )
        await web.h.mention("count to nine")
        card = page.locator("#live-list .card")
        await expect(card).to_have_count(1, timeout=10_000)
        await expect(card.locator(".prompt")).to_have_text("count to nine")
        await expect(card.locator(".text")).to_contain_text("one", timeout=10_000)
        assert web.h.model.streams[-1].ended is None  # growing while the model streams
        await expect(page.locator("#live-count")).to_have_text("1")
        done = page.locator("#live-recent .card")
        await expect(done).to_have_attribute("data-state", "finished", timeout=15_000)
        await expect(done.locator(".text")).to_have_text(
            "one two three four five six seven eight nine"
        )
        await expect(done.locator(".footer")).to_contain_text("total")
        await expect(page.locator("#live-list .card")).to_have_count(0)
        await expect(page.locator("#live-empty")).to_be_visible()
