"""Telegram channels through the Bot API (https://core.telegram.org/bots/api), through the seam.

Credentials: {"bot_token"} (from @BotFather; `access_token` is read as a fallback so
`keryx channels add telegram --access-token` works too). Settings: {"chat_id"}: "@channelname"
or the numeric "-100…" id; verify() replaces it with the numeric id, which survives a renamed
channel, and records the bot and chat facts.

The bot token is part of every request URL (`/bot<token>/METHOD`), so it is scrubbed from every
error message this module raises, and errors are raised without their transport cause (whose
request object carries the URL).

Text goes out as plain text, never with a parse_mode: a user's `*` or `<b>` is shown as typed,
and nobody can inject formatting or links. Telegram counts lengths in UTF-16 code units.

No idempotency: the Bot API has no idempotency key and gives bots no way to read a channel's
history, so an unknown outcome cannot be settled by lookup(): it raises CannotReconcile and the
user checks the channel (see docs/networks/telegram.md).
"""

from __future__ import annotations

import json
import logging
import re
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from keryx.networks import base
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    CannotReconcile,
    Capabilities,
    ConnectField,
    Disconnected,
    MediaItem,
    MediaRules,
    OutcomeUnknown,
    Problem,
    ProviderError,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
)
from keryx.networks.common import BaseProvider
from keryx.networks.http import parse_retry_after
from keryx.networks.text import utf16_length

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.telegram.org"
# Bot API limits (core.telegram.org/bots/api, mirrored in platform-rules.json): message text
# 1-4096 and captions 0-1024 characters after entity parsing. Telegram measures in UTF-16 code
# units (entity offsets are UTF-16); that is never less than code points, so it is the stricter
# reading of "characters".
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MEDIA_GROUP_MAX = 10
# Photos: at most 10 MB, width + height at most 10000, ratio at most 20. Other files: 50 MB
# through the cloud Bot API (a self-run local Bot API server allows more; we keep the cloud figure).
PHOTO_MAX_BYTES = 10_000_000
PHOTO_MAX_SIDES = 10_000
PHOTO_MAX_RATIO = 20
FILE_MAX_BYTES = 50_000_000
# sendPhoto takes JPEG/PNG/WebP; a GIF would become a still photo (sendAnimation is another
# method), so it is refused rather than silently flattened.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4"})

_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
_NUMERIC = re.compile(r"^-?\d{5,}$")
_TOKEN_IN_TEXT = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
REDACTED = "<bot-token>"


def normalize_chat_id(value: str) -> str:
    """"@name", "name", "https://t.me/name" -> "@name"; "-100123…" stays. ValueError if neither."""
    value = (value or "").strip()
    for prefix in ("https://t.me/", "http://t.me/", "t.me/"):
        if value.lower().startswith(prefix):
            value = "@" + value[len(prefix):].strip("/")
    if _NUMERIC.match(value):
        return value
    if not value.startswith("@"):
        value = "@" + value
    if not _USERNAME.match(value):
        raise ValueError(
            "Enter the channel as @channelname (its public link t.me/channelname) or its "
            "numeric id, which starts with -100."
        )
    return value


def check_bot_token(value: str) -> str:
    value = (value or "").strip()
    if not _TOKEN.match(value):
        raise ValueError(
            "That does not look like a bot token. @BotFather gives one like 123456789:AAF…"
        )
    return value


def message_url(chat: dict[str, Any], message_id: int | str) -> str:
    """https://t.me/<username>/<id> for public channels; t.me/c/<id>/<id> (members only) for
    private ones, whose numeric id is -100 followed by the internal channel id."""
    username = chat.get("username")
    if username:
        return f"https://t.me/{username}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return ""


class TelegramProvider(BaseProvider):
    network: ClassVar[str] = "telegram"
    display_name: ClassVar[str] = "Telegram"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=TEXT_LIMIT,
        counting="utf16",
        media=MediaRules(
            max_items=MEDIA_GROUP_MAX,
            image_types=PHOTO_TYPES,
            max_image_bytes=PHOTO_MAX_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=FILE_MAX_BYTES,
            alt_text=False,  # the Bot API has no alt text for photos
            mix_images_and_video=True,  # an album may mix photos and videos
            # Photos: width + height <= 10000, side ratio <= 20.
            geometry=base.ImageGeometry(max_w_plus_h=PHOTO_MAX_SIDES,
                                        max_side_ratio=PHOTO_MAX_RATIO),
        ),
        threads=True,  # as replies (reply_parameters) to the first message
        idempotent_publish=False,
        connect="bot_token",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("utf16", utf16_length, TEXT_LIMIT, limit_with_video=CAPTION_LIMIT,
                                  limit_with_images=CAPTION_LIMIT),),
        mentions=base.MentionRules(),
    )
    default_api_base: ClassVar[str] = DEFAULT_API_BASE
    default_oauth_base: ClassVar[str] = ""
    oauth: ClassVar[None] = None
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "bot_token", "Bot token", secret=True,
            help="From @BotFather (/newbot), like 123456789:AAF…",
        ),
        ConnectField(
            "chat_id", "Channel", store="settings",
            help="@channelname, or the channel's numeric id (-100…). The bot must be an "
            "administrator allowed to post messages.",
        ),
    )
    # Telegram asks for about one message per second per chat and 30 per second overall; it
    # sets no daily cap.
    daily_post_cap: ClassVar[int | None] = None

    # -- plumbing --------------------------------------------------------------------------

    @property
    def _token(self) -> str:
        token = str(self.credentials.get("bot_token") or self.credentials.get("access_token") or "")
        if not token:
            raise AuthExpired("No bot token stored for this Telegram channel.")
        return token

    def _scrub(self, text: str) -> str:
        token = str(self.credentials.get("bot_token") or self.credentials.get("access_token") or "")
        if token:
            text = text.replace(token, REDACTED)
        return _TOKEN_IN_TEXT.sub(REDACTED, text)

    def _clean(self, exc: ProviderError) -> ProviderError:
        """The same error with the token taken out of its message and no transport cause."""
        exc.message = self._scrub(exc.message)
        exc.args = (exc.message,)
        exc.raw = None
        exc.__cause__ = None
        exc.__context__ = None
        exc.__suppress_context__ = True
        return exc

    def _call(self, method: str, *, safe: bool = False, **kwargs: Any) -> Any:
        """POST one Bot API method; its `result`, or the classified error."""
        url = f"{self.api}/bot{self._token}/{method}"
        try:
            response = self.http.request(
                "POST", url, safe_to_repeat=safe, check_status=False, **kwargs
            )
            return self._result(response, sent_unsafe=not safe)
        except ProviderError as exc:
            raise self._clean(exc) from None

    @staticmethod
    def _result(response: httpx.Response, *, sent_unsafe: bool) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        status = response.status_code
        if not isinstance(body, dict):
            body = {}
        code = int(body.get("error_code") or status)
        description = str(body.get("description") or f"HTTP {status}")
        params = body.get("parameters") or {}
        if code == 429 or "retry_after" in params:
            retry = params.get("retry_after")
            wait = float(retry) if retry is not None else parse_retry_after(response.headers)
            raise RateLimited(description, retry_after=wait, status=code)
        if code == 401:
            raise AuthExpired(
                f"{description}: Telegram no longer accepts this bot token (revoked in "
                "@BotFather?). Connect the channel again with the new token.", status=code,
            )
        if code == 404:
            # The Bot API answers 404 for a token it does not know at all.
            raise AuthExpired(f"{description}: the bot token is not valid.", status=code)
        if "migrate_to_chat_id" in params:
            raise Disconnected(
                f"{description}: the chat moved to {params['migrate_to_chat_id']}; "
                "connect that one instead.", status=code,
            )
        lowered = description.lower()
        if code == 403 or (
            code == 400
            and any(s in lowered for s in ("chat not found", "not enough rights",
                                           "need administrator rights", "channel_private"))
        ):
            raise Disconnected(description, status=code)
        if code == 413:
            raise BadContent(f"Too large for Telegram: {description}", status=code)
        if 400 <= code < 500:
            raise BadContent(description, status=code)
        if code in (502, 503, 504) or not sent_unsafe:
            raise Transient(description, status=code)
        raise OutcomeUnknown(f"Telegram answered {code}: {description}", status=code)

    @property
    def _chat_id(self) -> str:
        chat_id = self.settings.get("chat_id")
        if not chat_id:
            raise Disconnected("This Telegram channel has no chat id; connect it again.")
        return str(chat_id)

    # -- validation (pure) -----------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        media = request.media
        limit = CAPTION_LIMIT if media else TEXT_LIMIT
        length = utf16_length(request.text)
        if length > limit:
            where = "a caption (text with media)" if media else "a message"
            problems.append(Problem(
                "text_too_long",
                f"The text is {length} characters long (UTF-16 units); Telegram allows {limit} "
                f"in {where}.",
                params={"count": length, "limit": limit},
            ))
        if not request.text.strip() and not media:
            problems.append(Problem("empty", "A Telegram message needs text or media."))
        for index, part in enumerate(self._thread(request)):
            part_length = utf16_length(part)
            if not part.strip() or part_length > TEXT_LIMIT:
                problems.append(Problem(
                    "thread_part_invalid",
                    f"Reply {index + 1} of the thread must have 1 to {TEXT_LIMIT} characters "
                    f"(it has {part_length}).",
                    field="thread",
                    params={"index": index, "count": part_length, "limit": TEXT_LIMIT},
                ))
        problems.extend(self.media_problems(media))
        return problems

    @staticmethod
    def _thread(request: PublishRequest) -> list[str]:
        thread = request.options.get("thread") or []
        return [str(part) for part in thread]

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """The bot (getMe), the channel (getChat) and the bot's rights there (getChatMember):
        it must be an administrator allowed to post, or the channel's creator."""
        try:
            chat_ref = normalize_chat_id(str(self.settings.get("chat_id") or ""))
        except ValueError as exc:
            raise BadContent(str(exc)) from None
        bot = self._call("getMe", safe=True)
        chat = self._call("getChat", safe=True, json={"chat_id": chat_ref})
        member = self._call(
            "getChatMember", safe=True, json={"chat_id": chat["id"], "user_id": bot["id"]}
        )
        title = chat.get("title") or chat.get("username") or str(chat["id"])
        bot_name = f"@{bot.get('username', bot['id'])}"
        status = member.get("status")
        if chat.get("type") == "channel":
            allowed = status == "creator" or (
                status == "administrator" and member.get("can_post_messages")
            )
        else:
            allowed = status in ("creator", "administrator") or (
                status == "member" or (status == "restricted" and member.get("can_send_messages"))
            )
        if not allowed:
            raise Disconnected(
                f"{bot_name} may not post in “{title}”: make it an administrator of the channel "
                "with the right to post messages, then connect again."
            )
        username = chat.get("username") or ""
        return AccountInfo(
            remote_id=str(chat["id"]),
            handle=f"@{username}" if username else title,
            display_name=title,
            url=f"https://t.me/{username}" if username else "",
            settings={
                "chat_id": str(chat["id"]),
                "chat_username": username,
                "chat_type": chat.get("type", ""),
                "bot_id": str(bot["id"]),
                "bot_username": bot.get("username", ""),
            },
        )

    # -- publishing ------------------------------------------------------------------------

    def _chat(self) -> dict[str, Any]:
        return {"id": self._chat_id, "username": self.settings.get("chat_username") or ""}

    def _send_text(self, text: str, reply_to: int | None, request: PublishRequest) -> list[dict]:
        body: dict[str, Any] = {"chat_id": self._chat_id, "text": text}
        if request.options.get("link_preview") is False:
            body["link_preview_options"] = {"is_disabled": True}
        if reply_to is not None:
            body["reply_parameters"] = {"message_id": reply_to}
        return [self._call("sendMessage", json=body)]

    def _send_single(self, item: MediaItem, caption: str) -> list[dict]:
        video = item.mime_type in VIDEO_TYPES
        method, part = ("sendVideo", "video") if video else ("sendPhoto", "photo")
        data: dict[str, str] = {"chat_id": self._chat_id}
        if caption:
            data["caption"] = caption
        if video:
            data["supports_streaming"] = "true"
        path = Path(item.path)
        with path.open("rb") as handle:
            files = {part: (path.name, handle, item.mime_type)}
            return [self._call(method, data=data, files=files)]

    def _send_album(self, items: tuple[MediaItem, ...], caption: str) -> list[dict]:
        media = []
        with ExitStack() as stack:
            files = {}
            for index, item in enumerate(items):
                name = f"file{index}"
                entry: dict[str, Any] = {
                    "type": "video" if item.mime_type in VIDEO_TYPES else "photo",
                    "media": f"attach://{name}",
                }
                if index == 0 and caption:
                    entry["caption"] = caption  # Telegram shows the first item's caption
                media.append(entry)
                path = Path(item.path)
                files[name] = (path.name, stack.enter_context(path.open("rb")), item.mime_type)
            data = {"chat_id": self._chat_id, "media": json.dumps(media, ensure_ascii=False)}
            result = self._call("sendMediaGroup", data=data, files=files)
        if not isinstance(result, list) or not result:
            raise OutcomeUnknown("Telegram answered the album without its messages.")
        return result

    def publish(self, request: PublishRequest) -> PublishResult:
        media = request.media
        if not media:
            messages = self._send_text(request.text, None, request)
        elif len(media) == 1:
            messages = self._send_single(media[0], request.text)
        else:
            messages = self._send_album(media, request.text)
        first = messages[0]
        ids = [int(m["message_id"]) for m in messages]
        raw: dict[str, Any] = {"message_ids": ids, "chat_id": str(first["chat"]["id"])}
        # The thread: each part replies to the one before. The post itself is out, so a failed
        # reply must not fail (and later re-send) it: it is reported on the result instead.
        previous = ids[-1]
        for index, part in enumerate(self._thread(request)):
            try:
                reply = self._send_text(part, previous, request)[0]
            except ProviderError as exc:
                raw["follow_up_error"] = f"Reply {index + 1} was not posted: {exc.message}"
                logger.warning("telegram: thread reply %s failed: %s", index + 1, exc.message)
                break
            previous = int(reply["message_id"])
            ids.append(previous)
        date = first.get("date")
        return PublishResult(
            # Every message made for the post, first one first, so delete() removes them all.
            remote_id=",".join(str(i) for i in ids),
            url=message_url(first.get("chat") or self._chat(), ids[0]),
            published_at=datetime.fromtimestamp(int(date), UTC) if date else None,
            raw=raw,
        )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        raise CannotReconcile(
            "Telegram gives bots no way to read a channel's posts, so Keryx cannot tell "
            "whether the earlier attempt reached the channel. Check the channel: if the post "
            "is not there, retry it; if it is, leave it."
        )

    def delete(self, remote_id: str) -> None:
        ids = [int(part) for part in str(remote_id).split(",") if part.strip()]
        if not ids:
            return
        try:
            if len(ids) == 1:
                self._call("deleteMessage", safe=True,
                           json={"chat_id": self._chat_id, "message_id": ids[0]})
            else:
                self._call("deleteMessages", safe=True,
                           json={"chat_id": self._chat_id, "message_ids": ids})
        except BadContent as exc:
            if "message to delete not found" in exc.message.lower():
                return  # already gone: deleting is done
            raise
