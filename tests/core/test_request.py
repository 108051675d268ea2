import pytest

from bot.core.request import Defaults, Options, Request, RequestBuilder, RequestRejectedError

BUILDER = RequestBuilder(Defaults("m1", "Be brief.", ("m1", "m2")))


def test_defaults_fill_what_the_user_did_not_choose():
    assert BUILDER.build("hi") == Request("hi", "m1", "Be brief.")


def test_options_override_the_defaults():
    request = BUILDER.build(
        "hi",
        Options(model="m2", system="Be long.", temperature=0.5, top_p=0.9, max_output_tokens=64),
    )
    assert request == Request("hi", "m2", "Be long.", 0.5, 0.9, 64)


def test_a_model_outside_the_list_is_refused_with_the_offered_ones():
    with pytest.raises(RequestRejectedError) as caught:
        BUILDER.build("hi", Options(model="m3"))
    assert str(caught.value) == "`m3` is not a model offered here. Choose one of: `m1`, `m2`."
