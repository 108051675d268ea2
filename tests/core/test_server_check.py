"""The start-up look at the model server: what was found, in one log line."""

from __future__ import annotations

import pytest
import structlog

from bot.core.llm import LLM
from bot.core.server_check import check_server, log_check
from tests.fakes.responses_api import FakeResponses


@pytest.fixture
async def server():
    async with FakeResponses() as fake:
        yield fake


async def check(base_url: str, model: str = "m1", api_key: str = "test-key"):
    llm = LLM.connect(api_key=api_key, base_url=base_url, timeout=5.0)
    try:
        result = await check_server(llm, model)
    finally:
        await llm.close()
    with structlog.testing.capture_logs() as records:
        log_check(result)
    [record] = records
    return result, record


async def test_listed_models_and_the_default_present_is_one_info_line(server):
    server.models = ["m1", "m2"]
    result, record = await check(server.base_url)
    assert result.reachable
    assert result.models == ("m1", "m2")
    assert result.model_listed is True
    assert record["event"] == "model_server.checked"
    assert record["log_level"] == "info"
    assert record["models"] == ["m1", "m2"]
    assert server.model_list_requests == 1


async def test_a_default_model_the_server_does_not_list_is_a_warning(server):
    server.models = ["m2"]
    result, record = await check(server.base_url)
    assert result.model_listed is False
    assert record["log_level"] == "warning"
    assert record["problem"] == "the default model 'm1' is not among the 1 listed"


async def test_a_base_url_without_v1_is_spotted(server):
    server.models = ["m1"]
    base = server.base_url.removesuffix("/v1")
    _, record = await check(base)
    assert record["log_level"] == "warning"
    assert record["problem"] == (
        f"OPENAI_BASE_URL probably needs /v1 at the end: {base}/v1 answers and lists 1 models"
    )


async def test_a_server_that_lists_nothing_is_reachable_but_unknown(server):
    result, record = await check(server.base_url)
    assert result.reachable
    assert result.models is None
    assert result.model_listed is None
    assert record["problem"] == "listing models answered 404"


async def test_a_wrong_key_is_named(server):
    server.models = ["m1"]
    _, record = await check(server.base_url, api_key="wrong")
    assert "refused the API key (401)" in record["problem"]


async def test_an_unreachable_server_is_one_warning():
    result, record = await check("http://127.0.0.1:9/v1")
    assert not result.reachable
    assert record["log_level"] == "warning"
    assert record["problem"].startswith("cannot connect (")
    assert record["server"] == "http://127.0.0.1:9/v1"
