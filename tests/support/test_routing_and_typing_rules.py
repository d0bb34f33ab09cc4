"""The tie rules of routing and typing, called directly: the older rule wins a tie; keyword hits count by
their rule's weight, summed per type; equal scores go to the type whose first matching rule is older."""
from __future__ import annotations

from chatops.models import Tier
from chatops.support.classify import classify
from chatops.support.models import KeywordRule, SupportRoute
from chatops.support.routing import route, specificity

from .conftest import support_settings


def _only(*rules: dict) -> list[SupportRoute]:
    SupportRoute.delete().execute()
    return [SupportRoute.create(**r) for r in rules]


def test_a_tie_in_specificity_goes_to_the_older_rule(sup):
    general = Tier.get(Tier.slug == "general")
    older, newer = _only(dict(name="older", tier=general, slack_channel="C0OLDER"),
                         dict(name="newer", tier=general, slack_channel="C0NEWER"))
    assert specificity(older) == specificity(newer)
    match = route(platform="slack", tier=general, community=None, category=None, settings=support_settings())
    assert (match.route.id, match.channel_id, match.flagged) == (older.id, "C0OLDER", False)


def test_a_more_specific_newer_rule_beats_an_older_one(sup):
    general = Tier.get(Tier.slug == "general")
    _only(dict(name="tier", tier=general, slack_channel="C0TIER"),
          dict(name="type", category="external_dev_problem", slack_channel="C0TYPE"))  # 4 beats 1
    match = route(platform="slack", tier=general, community=None, category="external_dev_problem",
                  settings=support_settings())
    assert match.channel_id == "C0TYPE"
    other = route(platform="slack", tier=general, community=None, category="external_ops_problem",
                  settings=support_settings())
    assert other.channel_id == "C0TIER"  # the type rule does not match another type


def test_a_rule_without_a_channel_on_the_platform_is_skipped(sup):
    general = Tier.get(Tier.slug == "general")
    _only(dict(name="slack only", tier=general, category="external_dev_problem", slack_channel="C0BUGS"),
          dict(name="both", tier=general, slack_channel="C0GEN", discord_channel="300000000000000099"))
    match = route(platform="discord", tier=general, community=None, category="external_dev_problem",
                  settings=support_settings())
    assert match.channel_id == "300000000000000099"


def _keywords(*rules: tuple[str, str, int]) -> None:
    KeywordRule.delete().execute()
    for category, words, weight in rules:
        KeywordRule.create(category=category, keywords=words, weight=weight)


def test_keyword_hits_count_by_weight(sup):
    _keywords(("external_dev_inquiry", "webhook, callback", 1), ("external_dev_problem", "stopped", 3))
    # two hits of weight 1 lose to one hit of weight 3
    assert classify("our webhook callback stopped") == ("external_dev_problem", "keywords")
    _keywords(("external_dev_inquiry", "webhook, callback", 2), ("external_dev_problem", "stopped", 3))
    assert classify("our webhook callback stopped") == ("external_dev_inquiry", "keywords")  # 4 > 3


def test_scores_of_several_rules_of_one_type_add_up(sup):
    _keywords(("external_ops_problem", "declined", 2), ("external_dev_problem", "error", 2),
              ("external_dev_problem", "sdk", 1))
    assert classify("the sdk says error: declined") == ("external_dev_problem", "keywords")  # 3 > 2


def test_equal_scores_go_to_the_type_whose_rule_is_older(sup):
    _keywords(("external_ops_problem", "refund", 1), ("external_dev_problem", "api", 1))
    assert classify("api refund") == ("external_ops_problem", "keywords")
    _keywords(("external_dev_problem", "api", 1), ("external_ops_problem", "refund", 1))
    assert classify("api refund") == ("external_dev_problem", "keywords")


def test_keywords_match_whole_words_and_the_requester_choice_wins(sup):
    _keywords(("external_dev_problem", "api", 5))
    assert classify("my rapid payout") == (None, "triage")       # "api" inside a word is no hit
    assert classify("the API fails") == ("external_dev_problem", "keywords")
    assert classify("the API fails", "internal_task") == ("internal_task", "requester")
    KeywordRule.update(enabled=False).execute()
    assert classify("the API fails") == (None, "triage")        # a disabled rule does not count
