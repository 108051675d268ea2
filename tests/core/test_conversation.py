from bot.core.conversation import Image, Turn, estimate_tokens, fit, to_input


def test_user_turns_become_parts_and_assistant_turns_plain_text():
    turns = [
        Turn("user", "What is this?", "Ann", images=(Image("image/png", b"\x89PNG"),)),
        Turn("assistant", "A picture."),
        Turn("user", "Thanks", "Ann", files=(("notes.md", "# Notes"),)),
    ]
    assert to_input(turns) == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw=="},
            ],
        },
        {"role": "assistant", "content": "A picture."},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Thanks"},
                {"type": "input_text", "text": "Attached file notes.md:\n# Notes"},
            ],
        },
    ]


def test_several_people_are_named_and_consecutive_user_turns_merge():
    turns = [Turn("user", "hi", "Ann"), Turn("user", "hello", "Bob"), Turn("assistant", "Hey")]
    assert to_input(turns) == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Ann: hi"},
                {"type": "input_text", "text": "Bob: hello"},
            ],
        },
        {"role": "assistant", "content": "Hey"},
    ]


def test_fit_never_starts_with_the_assistant():
    turns = [Turn("user", "a"), Turn("assistant", "b"), Turn("user", "c")]
    fitted = fit(turns, max_messages=2, max_tokens=1000)
    assert [t.text for t in fitted.turns] == ["c"]
    assert fitted.trimmed == 2


def test_token_estimate_is_about_four_characters():
    assert estimate_tokens(0) == 0
    assert estimate_tokens(1) == 1
    assert estimate_tokens(400) == 100
