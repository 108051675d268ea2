import pytest

from bot.core.conversation import Turn
from bot.core.models import ModelCatalog
from bot.core.request import Defaults, Options, Request, RequestBuilder, RequestRejectedError


def builder(allow: tuple[str, ...] = ("m1", "m2"), **defaults) -> RequestBuilder:
    return RequestBuilder(
        Defaults("Be brief.", **defaults), ModelCatalog(None, default="m1", allow=allow)
    )


def test_defaults_fill_what_the_user_did_not_choose():
    request = builder().build("hi")
    assert (request.prompt, request.model, request.instructions) == ("hi", "m1", "Be brief.")
    assert request.conversation() == (Turn("user", "hi"),)


def test_options_override_the_defaults():
    chosen = Options(
        model="m2", system="Be long.", temperature=0.5, top_p=0.9, max_output_tokens=64
    )
    request = builder().build("hi", chosen)
    assert request == Request(
        "hi", "m2", "Be long.", 0.5, 0.9, 64, turns=(Turn("user", "hi"),), trimmed=0
    )


def test_a_model_outside_the_allow_list_is_refused_with_the_offered_ones():
    with pytest.raises(RequestRejectedError) as caught:
        builder().build("hi", Options(model="m3"))
    assert str(caught.value) == "`m3` is not a model offered here. Choose one of: `m1`, `m2`."


def test_without_an_allow_list_the_listed_models_are_offered_and_any_name_goes():
    catalog = ModelCatalog(None, default="m1")
    assert catalog.allowed("anything")
    assert catalog.offered() == ("m1",)
    catalog._listed = ("big", "m1", "small")
    assert catalog.offered() == ("m1", "big", "small")
    assert catalog.choices("B") == ["big"]
    assert catalog.allowed("other")  # the server answers a wrong name itself (404)


def test_a_long_conversation_keeps_the_newest_turns_and_counts_the_rest():
    turns = [Turn("user" if i % 2 == 0 else "assistant", f"turn {i}") for i in range(101)]
    request = builder(max_messages=25).build(turns)
    assert len(request.turns) == 25
    assert request.turns[-1].text == "turn 100"
    assert request.turns[0].text == "turn 76"  # the oldest kept turn is the user's
    assert request.trimmed == 76
    assert request.prompt == "turn 100"


def test_the_input_budget_trims_the_oldest_but_keeps_the_newest():
    turns = [Turn("user", "x" * 4000), Turn("assistant", "y" * 4000), Turn("user", "z" * 40_000)]
    request = builder(max_input_tokens=2000).build(turns)
    assert [t.text[0] for t in request.turns] == ["z"]  # over budget alone, still sent
    assert request.trimmed == 2
