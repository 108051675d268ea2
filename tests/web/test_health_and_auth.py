"""GET /healthz follows the gateway; the token guards every other route."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.fakes.responses_api import Script

TOKEN = "a-long-random-token-for-tests"


async def health(web) -> tuple[int, dict]:
    async with web.session.get(f"{web.url}/healthz") as response:
        return response.status, await response.json()


async def wait_health(web, status: int, limit: float = 30.0) -> dict:
    async with asyncio.timeout(limit):
        while True:
            code, body = await health(web)
            if code == status:
                return body
            await asyncio.sleep(0.1)


async def test_healthz_flips_when_the_gateway_drops_and_back(make_web):
    async with make_web() as web:
        body = await wait_health(web, 200)
        assert body["status"] == "ok"
        assert body["discord"]["connected"] is True
        assert body["discord"]["latency_s"] is not None
        assert body["replies_in_flight"] == 0
        await web.h.discord.close_gateway(4000, refuse=True)
        body = await wait_health(web, 503, limit=10)
        assert body["status"] == "unhealthy"
        assert body["discord"]["connected"] is False
        metrics = await web.metrics()
        assert 'relaybot_gateway_connected{front="discord"} 0.0' in metrics
        web.h.discord.gateway_open = True
        await wait_health(web, 200)


async def test_healthz_counts_replies_in_flight(make_web):
    async with make_web() as web:
        web.h.model.queue(Script(text="slow " * 20, chunk=5, rate=5))
        await web.h.mention("hi")
        await web.h.model.wait_for(lambda: web.h.model.streams)
        _, body = await health(web)
        assert body["replies_in_flight"] == 1
        await web.h.wait_finished()
        _, body = await health(web)
        assert body["replies_in_flight"] == 0


async def test_every_route_but_healthz_wants_the_token(make_web):
    async with make_web(http_token=TOKEN) as web:
        for method, path in [
            ("GET", "/"),
            ("GET", "/metrics"),
            ("GET", "/api/live"),
            ("GET", "/api/models"),
            ("POST", "/api/chat"),
            ("GET", "/app.js"),
        ]:
            async with web.session.request(method, f"{web.url}{path}") as response:
                assert response.status == 401, path
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert TOKEN not in await response.text()
            wrong = {"Authorization": "Bearer not-the-token"}
            async with web.session.request(method, f"{web.url}{path}", headers=wrong) as response:
                assert response.status == 401, path
        assert (await health(web))[0] == 200
        right = {"Authorization": f"Bearer {TOKEN}"}
        async with web.session.get(f"{web.url}/metrics", headers=right) as response:
            assert response.status == 200
        async with web.session.get(f"{web.url}/api/models", headers=right) as response:
            assert (await response.json())["default"] == "gpt-test"
        async with web.session.post(
            f"{web.url}/api/chat", headers=right, json={"prompt": "hi"}
        ) as response:
            assert response.status == 200
            assert "event: done" in await response.text()


async def test_a_browser_trades_the_token_in_the_address_for_a_strict_cookie(make_web):
    async with make_web(http_token=TOKEN) as web:
        # unsafe=True: keep cookies for an IP address, as browsers do.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with browser.get(f"{web.url}/?token={TOKEN}", allow_redirects=False) as response:
                assert response.status == 302
                assert response.headers["Location"] == "/"
                cookie = response.headers["Set-Cookie"]
                assert "HttpOnly" in cookie
                assert "SameSite=Strict" in cookie
            async with browser.get(f"{web.url}/") as response:
                assert response.status == 200
                assert "<title>relaybot</title>" in await response.text()
            async with browser.get(f"{web.url}/metrics") as response:
                assert response.status == 200
        async with web.session.get(f"{web.url}/?token=wrong", allow_redirects=False) as response:
            assert response.status == 401
