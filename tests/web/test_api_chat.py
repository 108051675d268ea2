"""POST /api/chat: a reply as Server-Sent Events, checked and limited like /chat."""

from __future__ import annotations

from tests.fakes.responses_api import Script
from tests.fakes.responses_api.script import pause
from tests.support.harness import MODEL, OTHER_MODEL
from tests.web.sse_client import collect, events


async def test_streams_deltas_in_order_then_done_with_figures(make_web):
    async with make_web() as web:
        web.h.model.queue(
            Script(text="one two three four five six", chunk=4, between={3: [pause(0.6)]})
        )
        seen = []
        async with web.session.post(
            f"{web.url}/api/chat", json={"prompt": "count", "temperature": 0.5}
        ) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            async for name, data in events(response):
                seen.append((name, data))
                if name == "delta" and len(seen) == 2:
                    # The first text is here while the model is still streaming.
                    assert web.h.model.streams[-1].ended is None
        await web.h.wait_finished()
    names = [name for name, _ in seen]
    assert names[0] == "start"
    assert seen[0][1]["model"] == MODEL
    assert names[-1] == "done"
    assert set(names[1:-1]) == {"delta"}
    assert len(names) >= 4  # streamed in pieces, not in one go
    assert "".join(d["text"] for n, d in seen if n == "delta") == "one two three four five six"
    done = seen[-1][1]
    assert done["ending"] == "completed"
    assert done["first_token_s"] < done["total_s"]
    assert done["output_tokens"] > 0
    assert done["tokens_estimated"] is False
    assert web.h.model.requests[-1].body["temperature"] == 0.5
    [record] = web.h.finished()
    assert record["trigger"] == "http"
    assert record["status"] == "completed"


async def test_a_model_failure_ends_with_an_error_event(make_web):
    async with make_web() as web:
        web.h.model.queue(
            Script(text="partial", ending="failed", error_message="The GPU fell over.")
        )
        async with web.session.post(f"{web.url}/api/chat", json={"prompt": "q"}) as response:
            seen = await collect(response)
    name, data = seen[-1]
    assert name == "error"
    assert data["ending"] == "failed"
    assert "The GPU fell over." in data["message"]
    assert data["total_s"] > 0
    assert "".join(d["text"] for n, d in seen if n == "delta") == "partial"


async def test_bad_requests_are_refused_with_status_and_one_error_event(make_web):
    async with make_web(max_output_tokens=2000) as web:
        cases = [
            ({"prompt": ""}, "prompt: must be a non-empty string"),
            ({"prompt": "x" * 6001}, "prompt: at most 6000 characters"),
            ({"prompt": "q", "temperature": 3}, "temperature: must be from 0 to 2"),
            ({"prompt": "q", "top_p": "high"}, "top_p: must be a number"),
            ({"prompt": "q", "max_output_tokens": 1.5}, "max_output_tokens: must be a whole"),
            ({"prompt": "q", "max_output_tokens": 4000}, "at most 2000"),
            ({"prompt": "q", "model": "not-offered"}, "not-offered"),
            ({"prompt": "q", "temprature": 1}, "unknown field 'temprature'"),
            (["q"], "must be a JSON object"),
        ]
        for body, expected in cases:
            async with web.session.post(f"{web.url}/api/chat", json=body) as response:
                assert response.status == 400, body
                [(name, data)] = await collect(response)
            assert name == "error"
            assert expected in data["message"], (body, data)
        async with web.session.post(f"{web.url}/api/chat", data=b"{not json") as response:
            assert response.status == 400
            [(_, data)] = await collect(response)
            assert data["message"] == "the body must be JSON"
        big = b'{"prompt": "' + b"x" * 70_000 + b'"}'
        async with web.session.post(f"{web.url}/api/chat", data=big) as response:
            assert response.status == 413
            [(name, _)] = await collect(response)
            assert name == "error"
        async with web.session.post(
            f"{web.url}/api/chat", json={"prompt": "q", "model": OTHER_MODEL}
        ) as response:
            assert response.status == 200
            await collect(response)
    assert [r.model for r in web.h.model.requests] == [OTHER_MODEL]


async def test_streams_at_once_are_limited(make_web):
    async with make_web(http_streams=1, user_concurrency=5) as web:
        web.h.model.queue(Script(text="slow " * 10, chunk=5, rate=4))
        first = await web.session.post(f"{web.url}/api/chat", json={"prompt": "a"})
        events_of_first = events(first)
        assert (await anext(events_of_first))[0] == "start"
        async with web.session.post(f"{web.url}/api/chat", json={"prompt": "b"}) as second:
            assert second.status == 429
            assert second.headers["Retry-After"] == "5"
            [(_, data)] = await collect(second)
            assert "1 replies are streaming already" in data["message"]
        rest = [event async for event in events_of_first]
        first.release()
        assert rest[-1][0] == "done"
        async with web.session.post(f"{web.url}/api/chat", json={"prompt": "c"}) as third:
            assert third.status == 200
            await collect(third)


async def test_one_reply_at_a_time_per_caller_like_discord_users(make_web):
    async with make_web(user_concurrency=1) as web:
        web.h.model.queue(Script(text="slow " * 10, chunk=5, rate=4))
        first = await web.session.post(f"{web.url}/api/chat", json={"prompt": "a"})
        assert (await anext(events(first)))[0] == "start"
        async with web.session.post(f"{web.url}/api/chat", json={"prompt": "b"}) as second:
            assert second.status == 429
            [(_, data)] = await collect(second)
            assert "still answering you" in data["message"]
        first.close()


async def test_a_client_that_leaves_stops_the_reply_and_the_model_stream(make_web):
    async with make_web() as web:
        web.h.model.queue(Script(text="word " * 200, chunk=5, rate=10))
        response = await web.session.post(f"{web.url}/api/chat", json={"prompt": "long"})
        stream = events(response)
        while (await anext(stream))[0] != "delta":
            pass
        response.close()
        record = await web.h.model.wait_closed(timeout=5)
        [finished] = await web.h.wait_finished()
    assert record.closed_by_client
    assert finished["status"] == "stopped"
    assert finished["trigger"] == "http"
