import pytest

from bot.config import DEFAULT_MODEL, ConfigError, load_settings

BASE = {"DISCORD_TOKEN": "discord-secret-token", "OPENAI_API_KEY": "sk-secret"}


def test_minimal_settings():
    settings = load_settings(BASE)
    assert settings.model == DEFAULT_MODEL
    assert settings.models == ()  # no allow-list: what the server lists is offered
    assert settings.openai_base_url is None
    assert "discord-secret-token" not in repr(settings)
    assert "sk-secret" not in repr(settings)


def test_models_list_includes_default_first():
    settings = load_settings({**BASE, "BOT_MODEL": "llama3", "BOT_MODELS": "qwen, llama3 ,phi"})
    assert settings.models == ("llama3", "qwen", "phi")


def test_base_url_makes_key_optional():
    settings = load_settings(
        {"DISCORD_TOKEN": "t", "OPENAI_BASE_URL": "http://localhost:11434/v1/"}
    )
    assert settings.openai_base_url == "http://localhost:11434/v1"
    assert settings.openai_api_key


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"OPENAI_API_KEY": "k"}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "t"}, "OPENAI_API_KEY"),
        ({**BASE, "OPENAI_BASE_URL": "localhost:1234"}, "OPENAI_BASE_URL"),
        ({**BASE, "BOT_GUILD_ID": "my-server"}, "BOT_GUILD_ID"),
        ({**BASE, "BOT_CHANNEL_WRITES": "0"}, "BOT_CHANNEL_WRITES"),
        ({**BASE, "BOT_CHANNEL_WINDOW": "fast"}, "BOT_CHANNEL_WINDOW"),
        ({**BASE, "BOT_LOG_FORMAT": "xml"}, "BOT_LOG_FORMAT"),
        ({**BASE, "BOT_LOG_LEVEL": "loud"}, "BOT_LOG_LEVEL"),
        ({**BASE, "BOT_LOG_CONTENT": "maybe"}, "BOT_LOG_CONTENT"),
        ({**BASE, "DISCORD_TOKEN": "two words"}, "DISCORD_TOKEN"),
    ],
)
def test_bad_settings_name_the_variable(env, variable):
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert info.value.variables == [variable]
    assert str(info.value).startswith(variable + ": ")


def test_every_problem_is_collected_in_reading_order():
    env = {
        "OPENAI_API_KEY": "k",
        "BOT_GUILD_ID": "my-server",
        "BOT_LOG_LEVEL": "verbose",
        "BOT_LOG_CONTENT": "maybe",
    }
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert info.value.variables == [
        "DISCORD_TOKEN",
        "BOT_GUILD_ID",
        "BOT_LOG_LEVEL",
        "BOT_LOG_CONTENT",
    ]
    assert str(info.value).splitlines()[2] == (
        "BOT_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, got 'verbose'"
    )


@pytest.mark.parametrize(
    ("models", "problem"),
    [
        ("a,,b", "entry 2 of 3 is empty in 'a,,b'"),
        ("a,b,", "entry 3 of 3 is empty in 'a,b,'"),
        ("a," + "x" * 101, "entry 2 ('xxxxxxxxxxxxxxxxxxxx'…) is longer than 100 characters"),
        (",".join(f"m{i}" for i in range(26)), "lists 26 entries; at most 25 are allowed"),
    ],
)
def test_bot_models_says_which_entry_is_wrong(models, problem):
    with pytest.raises(ConfigError) as info:
        load_settings({**BASE, "BOT_MODELS": models})
    assert [str(p) for p in info.value.problems] == [f"BOT_MODELS: {problem}"]


def test_the_log_level_is_case_insensitive():
    assert load_settings({**BASE, "BOT_LOG_LEVEL": "debug"}).log_level == "DEBUG"
