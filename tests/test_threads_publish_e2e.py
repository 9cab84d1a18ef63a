"""Threads end to end: a long text split by the composer goes out as a thread plus a first comment
on the real Bluesky PDS and on mastodon-mock, through create_post and the real dispatcher. The
servers are read back: every part in order, each a reply to the one before, text exact. A crash
(the same request published again, our outcome lost, or the worker dying mid-thread) makes no
second copy of anything and finishes what is missing."""

from __future__ import annotations

import dataclasses
import html
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keryx.channels.connect import connect_bluesky, connect_mastodon_token
from keryx.channels.providers import provider_for
from keryx.composer.splitting import split_thread
from keryx.networks import counting
from keryx.networks.bluesky import (
    MAX_FOLLOW_UPS,
    BlueskyProvider,
    follow_up_key,
    new_tid,
    tid_value,
)
from keryx.networks.mastodon import MastodonProvider
from keryx.publishing import services
from keryx.publishing.dispatcher import Dispatcher
from keryx.publishing.models import PostTarget, TargetEvent, TargetState

POST = "app.bsky.feed.post"
LINK = "https://example.com/nea?lang=el"
TAG = "#Ελλάδα"
SENTENCES = [
    "Καλημέρα από την Αθήνα ☀️🇬🇷 — σήμερα ξεκινάμε ένα μεγάλο νήμα για το λιμάνι του Πειραιά.",
    "Το λιμάνι έχει ιστορία χιλιάδων ετών, από τα Μακρά Τείχη ως τα σημερινά κρουαζιερόπλοια.",
    "Κάθε πρωί φεύγουν πλοία για τα νησιά: Αίγινα, Πόρο, Ύδρα, Σπέτσες και πιο μακριά.",
    "Οι ψαράδες 👋🏽 πουλάνε ακόμα την ψαριά τους δίπλα στην προβλήτα, όπως πάντα.",
    f"Περισσότερα στο {LINK} για όποιον θέλει λεπτομέρειες {TAG}.",
    "Το απόγευμα ο ήλιος δύει πίσω από τη Σαλαμίνα και όλη η ακτή γίνεται πορτοκαλί.",
    "Τα καφενεία γεμίζουν, οι γάτες κοιμούνται στα σκαλιά και η πόλη ησυχάζει λίγο.",
    "Αύριο θα γράψω για τη Ζέα και το Μικρολίμανο, με φωτογραφίες από τη βόλτα μας.",
    "Ευχαριστώ που διαβάσατε ως εδώ· τα σχόλιά σας είναι πάντα ευπρόσδεκτα!",
    "Καλή συνέχεια σε όλους και καλό ταξίδι σε όσους φεύγουν σήμερα με το πλοίο.",
    "Υ.Γ. Το καλύτερο σουβλάκι είναι στη γωνία της Γούναρη, αλλά αυτό μένει μεταξύ μας.",
    "Στο δεύτερο μισό του νήματος μιλάμε για τα καράβια που έρχονται από την Κρήτη το πρωί.",
    "Οι επιβάτες κατεβαίνουν κουρασμένοι, με βαλίτσες, καλάθια και πολλή καλή διάθεση.",
    "Οι ταξιτζήδες περιμένουν στη σειρά και οι φωνές τους ακούγονται ως την πλατεία.",
    "Ένας ηλικιωμένος κύριος ταΐζει τους γλάρους με ψίχουλα από το κουλούρι του.",
    "Τα παιδιά τρέχουν στην προκυμαία και οι γονείς τους φωνάζουν να προσέχουν.",
    "Και μια τελευταία πρόταση, για να σιγουρευτούμε ότι το νήμα έχει τουλάχιστον τρία μέρη.",
]
LONG_TEXT = " ".join(SENTENCES)
FIRST_COMMENT = "Πρώτο σχόλιο: η πηγή των φωτογραφιών είναι το αρχείο μας 📷"

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    events = list(TargetEvent.objects.order_by("at", "pk").values_list(
        "target_id", "from_state", "to_state", "message"))
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; events: {events}")


def plain(content: str) -> str:
    """A Mastodon status's HTML as the text a reader sees (tags dropped, entities decoded)."""
    content = re.sub(r"<br\s*/?>", "\n", content)
    return html.unescape(re.sub(r"<[^>]+>", "", content))


@pytest.fixture
def dispatcher() -> Iterator[Dispatcher]:
    running = Dispatcher(threads=4, poll_interval=0.1, worker_id="threads-e2e")
    thread = threading.Thread(target=running.run, name="threads-e2e-dispatcher", daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.stop()
        thread.join(30)
        assert not thread.is_alive(), "the dispatcher did not stop"


def split_for(network: str, settings: dict[str, Any]) -> list[str]:
    """The composer's own split of LONG_TEXT for this network, numbered. mastodon-mock counts
    code points with links in full, where Mastodon counts graphemes with links as 23: parts for
    it keep within both."""
    limit = int(settings.get("max_characters") or 500) if network == "mastodon" else None

    def fits(text: str) -> bool:
        return counting.fits(text, network, settings) and (limit is None or len(text) <= limit)

    parts = [p.text for p in split_thread(LONG_TEXT, fits, numbering=True)]
    assert len(parts) >= 3, parts
    return parts


def bluesky_chain(pds: Any, did: str, root_uri: str) -> list[dict[str, Any]]:
    """The account's posts as a reply chain from the root: each the only reply to the one
    before, read from the PDS's repo. Fails on a fork (two replies to one post)."""
    records = pds.list_records(did)
    by_parent: dict[str, list[dict[str, Any]]] = {}
    root = None
    for record in records:
        reply = record["value"].get("reply")
        if record["uri"] == root_uri:
            root = record
        elif reply:
            by_parent.setdefault(reply["parent"]["uri"], []).append(record)
    assert root is not None and "reply" not in root["value"]
    chain = [root]
    while chain[-1]["uri"] in by_parent:
        children = by_parent.pop(chain[-1]["uri"])
        assert len(children) == 1, f"two replies to one part: {children}"
        chain.append(children[0])
    assert not by_parent, f"replies outside the chain: {by_parent}"
    assert len(chain) == len(records), "posts that are not part of the thread"
    return chain


def check_bluesky_thread(pds: Any, did: str, root_uri: str, texts: list[str]) -> list[str]:
    chain = bluesky_chain(pds, did, root_uri)
    assert [r["value"]["text"] for r in chain] == texts
    root_ref = {"uri": chain[0]["uri"], "cid": chain[0]["cid"]}
    for parent, record in zip(chain, chain[1:], strict=False):
        reply = record["value"]["reply"]
        assert reply["root"] == root_ref
        assert reply["parent"] == {"uri": parent["uri"], "cid": parent["cid"]}
    # Facets are computed per part: each slices its own part's bytes to the link or tag.
    found = set()
    for record in chain:
        raw = record["value"]["text"].encode("utf-8")
        for facet in record["value"].get("facets") or []:
            found.add(raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode())
    assert found == {LINK, TAG}
    return [r["uri"] for r in chain]


def mastodon_chain(server: Any, account: Any, root_id: str) -> list[dict[str, Any]]:
    statuses = server.statuses(account)
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for status in statuses:
        if status.get("in_reply_to_id"):
            by_parent.setdefault(str(status["in_reply_to_id"]), []).append(status)
    root = next(s for s in statuses if str(s["id"]) == root_id)
    assert root["in_reply_to_id"] is None
    chain = [root]
    while str(chain[-1]["id"]) in by_parent:
        children = by_parent.pop(str(chain[-1]["id"]))
        assert len(children) == 1, f"two replies to one part: {children}"
        chain.append(children[0])
    assert not by_parent and len(chain) == len(statuses), statuses
    return chain


def check_mastodon_thread(server: Any, account: Any, root_id: str, texts: list[str],
                          *, visibility: str = "public") -> list[str]:
    chain = mastodon_chain(server, account, root_id)
    assert [plain(s["content"]) for s in chain] == texts
    assert {s["visibility"] for s in chain} == {visibility}
    for parent, status in zip(chain, chain[1:], strict=False):
        assert str(status["in_reply_to_id"]) == str(parent["id"])
        assert str(status["account"]["id"]) == account.id
    return [str(s["id"]) for s in chain]


def crash_and_recover(target: PostTarget) -> None:
    """As if the worker died while publishing and nothing of its outcome reached our tables:
    the lease runs out, the reaper makes the target unknown, the dispatcher reconciles."""
    PostTarget.objects.filter(pk=target.pk).update(
        state=TargetState.PUBLISHING, claim_token="dead-worker", claimed_by="dead-worker",
        claimed_until=timezone.now() - timedelta(seconds=1), remote_id="", remote_url="",
        published_at=None, due_at=None,
    )


def test_thread_and_first_comment_reach_bluesky_and_mastodon_exactly_once(
    people, bluesky_pds, bluesky_account, mastodon, dispatcher, settings
):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    acme, alice = people.acme, people.alice
    toot_account = mastodon.new_account("thread")
    sky = connect_bluesky(acme, alice, bluesky_account.handle, bluesky_account.app_password,
                          service=bluesky_pds.url, name="Sky")
    toot = connect_mastodon_token(acme, alice, mastodon.url, toot_account.access_token,
                                  name="Toot")
    sky_parts = split_for("bluesky", sky.settings or {})
    toot_parts = split_for("mastodon", toot.settings or {})
    variants = {
        sky.pk: {"text": sky_parts[0], "thread": sky_parts[1:], "first_comment": FIRST_COMMENT},
        toot.pk: {"text": toot_parts[0], "thread": toot_parts[1:],
                  "first_comment": FIRST_COMMENT},
    }
    post = services.create_post(workspace=acme, author=alice, text=LONG_TEXT[:200],
                                channels=[sky, toot], variants=variants, actor="alice")

    def states() -> set[str]:
        return set(PostTarget.objects.filter(post=post).values_list("state", flat=True))

    wait_for(lambda: states() == {TargetState.PUBLISHED}, 60, "published")
    sky_target = PostTarget.objects.get(post=post, channel=sky)
    toot_target = PostTarget.objects.get(post=post, channel=toot)

    # --- read back from the servers -------------------------------------------------------
    sky_uris = check_bluesky_thread(bluesky_pds, bluesky_account.did, sky_target.remote_id,
                                    [*sky_parts, FIRST_COMMENT])
    # Every part sits under the record key derived from the target's key, chosen before sending.
    assert [u.rsplit("/", 1)[1] for u in sky_uris] == [
        sky_target.idempotency_key,
        *(follow_up_key(sky_target.idempotency_key, i) for i in range(1, len(sky_parts) + 1)),
    ]
    toot_ids = check_mastodon_thread(mastodon, toot_account, toot_target.remote_id,
                                     [*toot_parts, FIRST_COMMENT])

    # --- the same request published again (a retry after a crash): nothing new ------------
    for target, check in (
        (sky_target, lambda: check_bluesky_thread(
            bluesky_pds, bluesky_account.did, sky_target.remote_id, [*sky_parts, FIRST_COMMENT])),
        (toot_target, lambda: check_mastodon_thread(
            mastodon, toot_account, toot_target.remote_id, [*toot_parts, FIRST_COMMENT])),
    ):
        provider = provider_for(target.channel)
        request = services.request_for(target)
        before = check()
        again = provider.publish(request)
        assert again.remote_id == target.remote_id
        assert again.raw["replies"] == before[1:]
        assert "follow_up_error" not in again.raw
        assert check() == before
        found = provider.lookup(request)
        assert found is not None and found.raw["replies"] == before[1:]

    # --- our outcome lost: the engine reconciles and sends nothing -------------------------
    for target in (sky_target, toot_target):
        crash_and_recover(target)
    wait_for(lambda: states() == {TargetState.PUBLISHED}, 60, "reconciled")
    for target in (sky_target, toot_target):
        target.refresh_from_db()
        last = TargetEvent.objects.filter(target=target).order_by("-at", "-pk").first()
        assert last is not None and last.message == "Found on the network; not sent again"
    assert sky_target.remote_id == sky_uris[0] and toot_target.remote_id == toot_ids[0]
    assert check_bluesky_thread(bluesky_pds, bluesky_account.did, sky_uris[0],
                                [*sky_parts, FIRST_COMMENT]) == sky_uris
    assert check_mastodon_thread(mastodon, toot_account, toot_ids[0],
                                 [*toot_parts, FIRST_COMMENT]) == toot_ids


def test_bluesky_worker_dying_mid_thread_finishes_the_thread_through_the_engine(
    people, bluesky_pds, bluesky_account, dispatcher, settings
):
    """The crash struck after part 2: the last parts never reached the PDS. The reconcile finds
    the thread incomplete, and the retry creates only the missing parts, under their keys."""
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    acme, alice = people.acme, people.alice
    sky = connect_bluesky(acme, alice, bluesky_account.handle, bluesky_account.app_password,
                          service=bluesky_pds.url, name="Sky")
    parts = split_for("bluesky", sky.settings or {})
    post = services.create_post(
        workspace=acme, author=alice, text=parts[0], channels=[sky], actor="alice",
        variants={sky.pk: {"thread": parts[1:], "first_comment": FIRST_COMMENT}},
    )
    target = PostTarget.objects.get(post=post)
    wait_for(lambda: PostTarget.objects.get(pk=target.pk).state == TargetState.PUBLISHED, 60,
             "published")
    target.refresh_from_db()
    uris = check_bluesky_thread(bluesky_pds, bluesky_account.did, target.remote_id,
                                [*parts, FIRST_COMMENT])
    # Take the parts after the second off the PDS, as if they had never been sent.
    provider = provider_for(sky)
    for uri in uris[2:]:
        provider.delete(uri)
    assert len(bluesky_pds.list_records(bluesky_account.did)) == 2
    assert provider.lookup(services.request_for(target)) is None  # incomplete: not "found"

    crash_and_recover(target)
    wait_for(lambda: PostTarget.objects.get(pk=target.pk).state == TargetState.PUBLISHED
             and PostTarget.objects.get(pk=target.pk).remote_id, 60, "published again")
    target.refresh_from_db()
    assert target.remote_id == uris[0]
    again = check_bluesky_thread(bluesky_pds, bluesky_account.did, uris[0],
                                 [*parts, FIRST_COMMENT])
    assert again[:2] == uris[:2]  # root and part 2 untouched
    assert [u.rsplit("/", 1)[1] for u in again] == [u.rsplit("/", 1)[1] for u in uris]


def test_bluesky_retry_after_a_partial_thread_creates_only_the_missing_parts(
    bluesky_pds, bluesky_account
):
    from keryx.networks.base import PublishRequest

    provider = BlueskyProvider(bluesky_account.context())
    key = BlueskyProvider.new_idempotency_key()
    full = PublishRequest(text="Ρίζα 1/4", idempotency_key=key,
                          options={"thread": ["Δεύτερο 2/4", "Τρίτο 3/4", "Τέταρτο 4/4"],
                                   "first_comment": FIRST_COMMENT})
    # What a worker that died after part 2 left behind: the same keys, fewer parts.
    partial = dataclasses.replace(full, options={"thread": ["Δεύτερο 2/4"]})
    first = provider.publish(partial)
    assert len(first.raw["replies"]) == 1
    assert provider.lookup(full) is None

    result = provider.publish(full)
    assert result.remote_id == first.remote_id
    assert result.raw["replies"][0] == first.raw["replies"][0]
    chain = bluesky_chain(bluesky_pds, bluesky_account.did, result.remote_id)
    assert [r["value"]["text"] for r in chain] == [
        "Ρίζα 1/4", "Δεύτερο 2/4", "Τρίτο 3/4", "Τέταρτο 4/4", FIRST_COMMENT]
    assert [r["uri"] for r in chain[1:]] == result.raw["replies"]
    found = provider.lookup(full)
    assert found is not None and found.raw["replies"] == result.raw["replies"]


def test_mastodon_retry_after_a_partial_thread_creates_only_the_missing_parts(mastodon):
    from keryx.networks.base import ProviderContext, PublishRequest

    account = mastodon.new_account("partial")
    provider = MastodonProvider(ProviderContext(
        credentials={"access_token": account.access_token},
        settings={"instance": mastodon.url, "account_id": account.id},
        allow_private=("127.0.0.1",),
    ))
    key = MastodonProvider.new_idempotency_key()
    full = PublishRequest(text="Ρίζα 1/4", idempotency_key=key, content_warning="Μακρύ νήμα",
                          options={"thread": ["Δεύτερο 2/4", "Τρίτο 3/4", "Τέταρτο 4/4"],
                                   "first_comment": FIRST_COMMENT, "visibility": "unlisted"})
    partial = dataclasses.replace(
        full, options={"thread": ["Δεύτερο 2/4"], "visibility": "unlisted"})
    first = provider.publish(partial)
    assert len(first.raw["replies"]) == 1
    assert provider.lookup(full) is None  # recent and incomplete: publish() will finish it

    result = provider.publish(full)
    assert result.remote_id == first.remote_id
    assert result.raw["replies"][0] == first.raw["replies"][0]
    ids = check_mastodon_thread(
        mastodon, account, result.remote_id,
        ["Ρίζα 1/4", "Δεύτερο 2/4", "Τρίτο 3/4", "Τέταρτο 4/4", FIRST_COMMENT],
        visibility="unlisted")
    assert ids[1:] == result.raw["replies"]
    # The root's content warning is on every reply.
    assert {s["spoiler_text"] for s in mastodon.statuses(account)} == {"Μακρύ νήμα"}
    found = provider.lookup(full)
    assert found is not None and found.raw["replies"] == ids[1:]


def test_mastodon_part_refused_after_the_root_still_counts_as_published(mastodon):
    from keryx.networks.base import ProviderContext, PublishRequest

    account = mastodon.new_account("refused")
    provider = MastodonProvider(ProviderContext(
        credentials={"access_token": account.access_token},
        settings={"instance": mastodon.url, "account_id": account.id},
        allow_private=("127.0.0.1",),
    ))
    too_long = "α" * 600  # the server refuses it (500 characters); publish() does not re-check
    request = PublishRequest(text="Αρχή", idempotency_key=MastodonProvider.new_idempotency_key(),
                             options={"thread": ["Μέση", too_long, "Τέλος"],
                                      "first_comment": FIRST_COMMENT})
    result = provider.publish(request)
    assert result.remote_id
    assert len(result.raw["replies"]) == 1
    assert result.raw["follow_up_error"]
    check_mastodon_thread(mastodon, account, result.remote_id, ["Αρχή", "Μέση"])
    # validate() says so before anything is sent.
    assert [p.field for p in provider.validate(request)] == ["thread"]


def test_follow_up_keys_are_valid_distinct_tids_derived_from_the_root():
    roots = [new_tid() for _ in range(200)]
    keys = {k for root in roots
            for k in (root, *(follow_up_key(root, i) for i in range(1, 6)))}
    assert len(keys) == 200 * 6  # no part of one thread is another's root or part
    root = roots[0]
    assert follow_up_key(root, 3) == follow_up_key(root, 3)
    last = follow_up_key(root, MAX_FOLLOW_UPS)
    assert last != root and tid_value(last) >> 10 == tid_value(root) >> 10
    for key in keys:
        assert re.fullmatch(r"[2-7a-j][2-7a-z]{12}", key), key
    with pytest.raises(ValueError):
        follow_up_key(root, MAX_FOLLOW_UPS + 1)
    with pytest.raises(ValueError):
        follow_up_key("not-a-tid", 1)
