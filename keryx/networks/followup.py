"""What a provider does after its post is out: add the first comment without ever failing the
publish. Pure Python, no Django.

Once the network has the post, raising would make the engine publish again (a duplicate), so a
failed follow-up is recorded on the result (raw["follow_up_error"], see base.PublishResult)
instead.
"""

from __future__ import annotations

from collections.abc import Callable

from keryx.networks.base import ProviderError, PublishRequest, PublishResult

Reply = Callable[[str, str], PublishResult]


def add_first_comment(result: PublishResult, text: str, reply: Reply) -> PublishResult:
    """`result` with the first comment's id (raw["first_comment_id"]), or with the reason it
    could not be posted (raw["follow_up_error"]); `reply(remote_id, text)` posts it."""
    if not text:
        return result
    try:
        comment = reply(result.remote_id, text)
    except ProviderError as exc:
        return PublishResult(result.remote_id, result.url, result.published_at,
                             {**result.raw, "follow_up_error": exc.message})
    return PublishResult(result.remote_id, result.url, result.published_at,
                         {**result.raw, "first_comment_id": comment.remote_id})


def first_comment_text(request: PublishRequest) -> str:
    """The first comment the user asked for, "" when none."""
    return str(request.options.get("first_comment") or "")


__all__ = ["add_first_comment", "first_comment_text"]
