"""A ticket routed on Discord asks the adapter for a conversation thread on its card."""
from chatops import demo
from chatops.models import OutboundMessage
from chatops.support import demo as support_demo
from chatops.testing import ChatOpsRunner


def test_discord_ticket_card_starts_a_thread_and_slack_does_not():
    with ChatOpsRunner() as runner:
        demo.seed()
        support_demo.seed(lambda *a, **k: None)
        discord = runner.invoke("support the docs site shows a blank page", as_="discord:200000000000000004",
                                community_id="100000000000000003", channel_id="D1")
        assert "is open" in discord.text, discord.text
        slack = runner.invoke("support the docs site shows a blank page", as_="slack:U0CORACUST",
                              community_id="T0MAKERDAO", channel_id="C1")
        assert "is open" in slack.text, slack.text
        cards = {m.platform: m for m in OutboundMessage.select() if "blank page" in str(m.reply)
                 and m.channel_id not in ("D1", "C1")}
        assert cards["discord"].thread_id == "new"
        assert cards["slack"].thread_id is None
