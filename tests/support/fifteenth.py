"""A fifteenth network, "agora", kept in the test suite: everything Keryx needs to know about it is
declared here, in the provider, and nothing outside keryx/networks/ names it. Registered for a
test with `registry.registered("agora", AgoraProvider)` (tests/test_fifteenth_network.py).

Pure: no HTTP. verify() accepts any token but "revoked"; publish() makes up an id.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from keryx.networks import base
from keryx.networks.counting import graphemes

TEXT_LIMIT = 120
CAPTION_LIMIT = 60


def normalize_room(value: str) -> str:
    room = value.strip().lower()
    if not room.isidentifier():
        raise ValueError("A room is one word, like lobby.")
    return room


class AgoraProvider:
    network: ClassVar[str] = "agora"
    display_name: ClassVar[str] = "Agora"
    capabilities: ClassVar[base.Capabilities] = base.Capabilities(
        text_limit=TEXT_LIMIT,
        counting="chars",
        media=base.MediaRules(
            max_items=2, image_types=frozenset({"image/jpeg"}), max_image_bytes=1_000_000,
            geometry=base.ImageGeometry(max_side=640, min_aspect=0.5, max_aspect=2.0),
            video_types=frozenset({"video/mp4"}), max_video_bytes=10_000_000,
            video=base.VideoRules(max_seconds=30),
        ),
        threads=True,
        text_rules=(base.TextRule("characters", graphemes, TEXT_LIMIT,
                                  limit_with_images=CAPTION_LIMIT, limit_setting="max_chars"),),
        split_long_text=True,
        preview=base.PreviewRules(fold_at=40, link_width=16),
        extras=base.RequestExtras(link_option="link"),
        mentions=base.MentionRules(format="~{handle}", pattern=r"^[A-Za-z0-9]{2,20}$",
                                   hint="An Agora handle is 2-20 letters or digits.",
                                   strip_prefixes=("~",), lowercase=True),
        hashtags_recommended=2,
        connect="access_token",
    )
    connect_fields: ClassVar[tuple[base.ConnectField, ...]] = (
        base.ConnectField("room", "Room", store="settings", normalize=normalize_room,
                          help="the room to post in, e.g. lobby"),
    )

    def __init__(self, context: base.ProviderContext) -> None:
        self.credentials, self.settings = context.credentials, context.settings

    def validate(self, request: base.PublishRequest) -> list[base.Problem]:
        problems = []
        limit = CAPTION_LIMIT if request.media else TEXT_LIMIT
        if graphemes(request.text) > limit:
            problems.append(base.Problem("text_too_long", f"Agora takes {limit} characters."))
        for item in request.media:
            if item.mime_type not in self.capabilities.media.image_types:
                problems.append(base.Problem("media_type", f"Agora takes JPEG, not "
                                             f"{item.mime_type}.", field="media"))
            elif max(item.width or 0, item.height or 0) > 640:
                problems.append(base.Problem("media_size", "Agora takes at most 640 px.",
                                             field="media"))
        return problems

    def verify(self) -> base.AccountInfo:
        if self.credentials.get("access_token") in (None, "", "revoked"):
            raise base.AuthExpired("Agora refused these credentials.")
        return base.AccountInfo(remote_id="agora-1", handle=f"~{self.settings.get('room')}")

    def publish(self, request: base.PublishRequest) -> base.PublishResult:
        remote_id = uuid.uuid4().hex
        return base.PublishResult(remote_id=remote_id, url=f"https://agora.test/{remote_id}")

    def lookup(self, request: base.PublishRequest) -> base.PublishResult | None:
        return None

    def delete(self, remote_id: str) -> None:
        return None

    @classmethod
    def new_idempotency_key(cls) -> str:
        return uuid.uuid4().hex
