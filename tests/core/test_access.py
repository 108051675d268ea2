from bot.core.access import Asker, Lists, decide
from bot.core.storage import AccessEntry

GUILD = "1"


def lists(*entries: tuple[str, str, str]) -> Lists:
    return Lists().merged([AccessEntry(GUILD, rule, target, i) for rule, target, i in entries])


def asker(user="u", channels=("c",), category=None, roles=(), guild=GUILD) -> Asker:
    return Asker(user, guild, channels, category, roles)


def test_empty_lists_let_everyone_in_everywhere():
    assert decide(Lists(), asker(), allow_dms=True).allowed


def test_blocks_win_over_allows():
    both = lists(("allow", "user", "u"), ("block", "role", "r"))
    decision = decide(both, asker(roles=("r",)), allow_dms=True)
    assert (decision.allowed, decision.reason, decision.silent) == (False, "user_blocked", False)
    assert decision.text


def test_allow_lists_limit_people_and_places_separately():
    people = lists(("allow", "role", "helpers"))
    assert decide(people, asker(roles=("helpers",)), allow_dms=True).allowed
    assert decide(people, asker(), allow_dms=True).reason == "user_not_allowed"
    places = lists(("allow", "category", "cat"))
    assert decide(places, asker(category="cat"), allow_dms=True).allowed
    refused = decide(places, asker(channels=("c2",)), allow_dms=True)
    assert (refused.reason, refused.silent) == ("channel_not_allowed", True)


def test_a_thread_counts_as_its_parent_channel():
    blocked = lists(("block", "channel", "parent"))
    decision = decide(blocked, asker(channels=("thread", "parent")), allow_dms=True)
    assert (decision.reason, decision.silent) == ("channel_blocked", True)


def test_dms_follow_the_user_lists_and_can_be_off():
    assert decide(lists(("allow", "channel", "c")), asker(guild=None), allow_dms=True).allowed
    assert decide(lists(("block", "user", "u")), asker(guild=None), allow_dms=True).reason == (
        "user_blocked"
    )
    assert decide(Lists(), asker(guild=None), allow_dms=False).reason == "dms_off"
