"""The Mastodon inbox provider against mastodon-mock: another account replies to our status,
mentions us and sends a DM; each comes back once, in plain text, of the right kind; our answer
lands in the right thread and a DM answer stays direct."""

from __future__ import annotations

import pytest

from keryx.networks.base import Gone, ProviderContext
from keryx.networks.community import InboxKind
from keryx.networks.mastodon import MastodonProvider

pytestmark = pytest.mark.peers


def provider(mastodon, token: str) -> MastodonProvider:
    return MastodonProvider(ProviderContext(credentials={"access_token": token},
                                            settings={"instance": mastodon.url},
                                            allow_private=("127.0.0.1", "localhost")))


def post(mastodon, token: str, **data) -> dict:
    response = mastodon.api("POST", "/api/v1/statuses", token, data=data)
    response.raise_for_status()
    return response.json()


def test_fetch_and_reply(mastodon_server) -> None:
    mastodon = mastodon_server
    brand = mastodon.new_account("brand")
    fan = mastodon.new_account("fan")
    ours = post(mastodon, brand.access_token, status="Our new shop opens today")
    comment = post(mastodon, fan.access_token, status="Congrats <b>team</b>!",
                   in_reply_to_id=ours["id"])
    mention = post(mastodon, fan.access_token, status=f"@{brand.username} hello there")
    dm = post(mastodon, fan.access_token, status=f"@{brand.username} is it open on Sunday?",
              visibility="direct")
    keryx = provider(mastodon, brand.access_token)
    items = {i.remote_id: i for i in keryx.fetch_inbox()}
    assert set(items) == {comment["id"], mention["id"], dm["id"]}
    assert items[comment["id"]].kind == InboxKind.COMMENT
    assert items[comment["id"]].in_reply_to == ours["id"]
    # The network's HTML is gone (no <p>); what the fan typed, tags included, is the text.
    assert items[comment["id"]].text == "Congrats <b>team</b>!"
    assert items[mention["id"]].kind == InboxKind.MENTION
    assert items[dm["id"]].kind == InboxKind.MESSAGE
    assert items[dm["id"]].author_handle == fan.username

    answer = keryx.reply_to(items[dm["id"]], "Yes, 10 to 2.", "key-dm-1")
    again = keryx.reply_to(items[dm["id"]], "Yes, 10 to 2.", "key-dm-1")
    assert again.remote_id == answer.remote_id  # the fixed key: one status, not two
    sent = mastodon.status(answer.remote_id, brand.access_token)
    assert sent["visibility"] == "direct" and sent["in_reply_to_id"] == dm["id"]
    assert keryx.lookup_reply(items[dm["id"]], "Yes, 10 to 2.").remote_id == answer.remote_id
    # Our own answer is not an inbox item.
    assert answer.remote_id not in {i.remote_id for i in keryx.fetch_inbox()}

    mastodon.api("DELETE", f"/api/v1/statuses/{comment['id']}", fan.access_token)
    with pytest.raises(Gone):
        keryx.reply_to(items[comment["id"]], "Thanks!", "key-gone")
