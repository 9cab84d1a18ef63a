"""The inbox on a LinkedIn Page: the comments under the Page's latest posts
(`GET /rest/socialActions/{post urn}/comments`, Community Management API), answered as the
Page (`POST /rest/socialActions/{urn}/comments`, `parentComment` for a reply to a comment).

Only organization (Page) channels: listing a member's posts needs r_member_social, which
LinkedIn grants to approved partners only, so a member channel's sync says so. LinkedIn's API
cannot hide a comment; mentions and messages are not offered to Keryx's permissions. No
idempotency key: see inboxkit."""

from __future__ import annotations

from typing import ClassVar

from keryx.networks.base import Gone, NotSupported
from keryx.networks.community import InboxItem
from keryx.networks.inboxkit import CommentsInbox, post_of

PERMISSION = "r_organization_social"


class LinkedInInbox(CommentsInbox):
    inbox_permission: ClassVar[str] = PERMISSION

    author: str

    def _inbox_me(self) -> tuple[set[str], set[str]]:
        return {self.author}, set()

    def _inbox_exists(self, item: InboxItem) -> None:
        post = post_of(item)
        if post and not any(c.remote_id == item.remote_id for c in self.fetch_comments(post)):
            raise Gone("The comment was deleted on LinkedIn.")

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        raise NotSupported("LinkedIn's API has no way to hide a comment; delete it on "
                           "LinkedIn instead.")


__all__ = ["LinkedInInbox"]
