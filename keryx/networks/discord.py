"""Discord through a channel webhook (Execute Webhook), through the seam.

Credentials: {"webhook_url"}: https://discord.com/api/webhooks/<id>/<token>. The token in it is
the only key to the webhook, so the URL is a secret: it lives in the encrypted credentials, is
shown back only masked (`mask_webhook_url`), and is scrubbed from every error this module raises.
Settings (from verify()): {"webhook_id", "guild_id", "channel_id", "webhook_name"}.

Posts go out with ?wait=true so Discord answers with the message (its id makes the URL and lets
delete() and lookup() find it). Files travel as multipart: `payload_json` plus `files[n]`, with
alt text in `attachments[n].description`.

No idempotency: Execute Webhook takes no nonce or idempotency key, and a webhook cannot list its
channel's messages, so an unknown outcome can only be settled when the message id is known;
otherwise lookup() raises CannotReconcile and the user checks the channel.
"""

from __future__ import annotations

import json
import re
from contextlib import ExitStack
from datetime import datetime
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

DEFAULT_API_BASE = "https://discord.com/api/v10"
APP_URL = "https://discord.com"
# Message content: 2000 "characters". Discord does not say which unit; UTF-16 code units are
# never fewer than code points, so counting them is the stricter reading.
TEXT_LIMIT = 2000
MAX_FILES = 10
# Uploads: 10 MiB per file without server boosts (the default limit since 2024).
FILE_MAX_BYTES = 10 * 1024 * 1024
ALT_TEXT_MAX = 1024  # attachment description
# Embeds: at most 10 per message, 6000 characters summed over all of them, and per field:
EMBEDS_MAX = 10
EMBEDS_TOTAL_MAX = 6000
EMBED_FIELD_LIMITS = {"title": 256, "description": 4096, "footer.text": 2048,
                      "author.name": 256}
EMBED_FIELDS_MAX = 25
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime"})

# Error codes in Discord's JSON errors (discord.com/developers/docs/topics/opcodes-and-status-codes)
UNKNOWN_WEBHOOK = 10015
UNKNOWN_MESSAGE = 10008
INVALID_WEBHOOK_TOKEN = 50027

_WEBHOOK_URL = re.compile(
    r"^https://(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/"
    r"(?P<id>\d{15,25})/(?P<token>[A-Za-z0-9_-]{20,100})/?$"
)
REDACTED = "<webhook-token>"


def parse_webhook_url(value: str) -> tuple[str, str]:
    """(webhook id, token) from a webhook URL as Discord shows it; ValueError otherwise."""
    match = _WEBHOOK_URL.match((value or "").strip())
    if not match:
        raise ValueError(
            "That is not a Discord webhook URL. Copy it from the channel's Settings → "
            "Integrations → Webhooks → Copy Webhook URL; it looks like "
            "https://discord.com/api/webhooks/<id>/<token>."
        )
    return match.group("id"), match.group("token")


def mask_webhook_url(value: str) -> str:
    """The URL with its token hidden, to show a user which webhook a channel uses."""
    try:
        webhook_id, _ = parse_webhook_url(value)
    except ValueError:
        return "…"
    return f"https://discord.com/api/webhooks/{webhook_id}/…"


def embeds_length(embeds: list[dict[str, Any]]) -> int:
    """Characters counted toward the 6000 total: titles, descriptions, field names and values,
    footer texts and author names (Discord trims surrounding whitespace before counting)."""
    total = 0
    for embed in embeds:
        texts = [embed.get("title"), embed.get("description"),
                 (embed.get("footer") or {}).get("text"), (embed.get("author") or {}).get("name")]
        for item in embed.get("fields") or []:
            texts += [item.get("name"), item.get("value")]
        total += sum(utf16_length(str(t).strip()) for t in texts if t)
    return total


def _form_errors(errors: Any, path: str = "") -> list[str]:
    """Discord's nested {"content": {"_errors": [{"message": …}]}} as "content: message"."""
    found: list[str] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "_errors" and isinstance(value, list):
                found += [f"{path or 'body'}: {e.get('message', '')}" for e in value
                          if isinstance(e, dict)]
            else:
                found += _form_errors(value, f"{path}.{key}" if path else str(key))
    return found


class DiscordProvider(BaseProvider):
    network: ClassVar[str] = "discord"
    display_name: ClassVar[str] = "Discord"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=TEXT_LIMIT,
        counting="utf16",
        media=MediaRules(
            max_items=MAX_FILES,
            image_types=IMAGE_TYPES,
            max_image_bytes=FILE_MAX_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=FILE_MAX_BYTES,
            alt_text=True,
            alt_text_max=ALT_TEXT_MAX,
            mix_images_and_video=True,
            alt_text_counting="utf16",
            geometry=base.ImageGeometry(max_side=4096, animated=True),
        ),
        idempotent_publish=False,
        connect="webhook",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("utf16", utf16_length, TEXT_LIMIT),),
    )
    default_api_base: ClassVar[str] = DEFAULT_API_BASE
    default_oauth_base: ClassVar[str] = ""
    oauth: ClassVar[None] = None
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "webhook_url", "Webhook URL", secret=True,
            help="Channel settings → Integrations → Webhooks → Copy Webhook URL "
            "(https://discord.com/api/webhooks/<id>/<token>). Keep it secret.",
        ),
    )
    daily_post_cap: ClassVar[int | None] = None

    # -- plumbing --------------------------------------------------------------------------

    def _webhook(self) -> tuple[str, str]:
        url = str(self.credentials.get("webhook_url") or "")
        if not url:
            raise AuthExpired("No webhook URL stored for this Discord channel.")
        try:
            return parse_webhook_url(url)
        except ValueError as exc:
            raise AuthExpired(str(exc)) from None

    def _scrub(self, text: str) -> str:
        try:
            _, token = parse_webhook_url(str(self.credentials.get("webhook_url") or ""))
        except ValueError:
            return text
        return text.replace(token, REDACTED)

    def _clean(self, exc: ProviderError) -> ProviderError:
        exc.message = self._scrub(exc.message)
        exc.args = (exc.message,)
        # raw is only ever {"code": …} from _raise_for: nothing secret in it.
        exc.__cause__ = None
        exc.__context__ = None
        exc.__suppress_context__ = True
        return exc

    def _call(self, method: str, suffix: str = "", *, safe: bool | None = None,
              **kwargs: Any) -> httpx.Response:
        webhook_id, token = self._webhook()
        url = f"{self.api}/webhooks/{webhook_id}/{token}{suffix}"
        unsafe = not (safe if safe is not None else method in ("GET", "DELETE"))
        try:
            response = self.http.request(
                method, url, safe_to_repeat=not unsafe, check_status=False, **kwargs
            )
            self._raise_for(response, sent_unsafe=unsafe)
            return response
        except ProviderError as exc:
            raise self._clean(exc) from None

    @staticmethod
    def _raise_for(response: httpx.Response, *, sent_unsafe: bool) -> None:
        status = response.status_code
        if status < 400:
            return
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        code = body.get("code")
        message = str(body.get("message") or response.text.strip()[:300] or f"HTTP {status}")
        details = _form_errors(body.get("errors"))
        if details:
            message = f"{message}: " + "; ".join(details)
        if status == 429:
            retry = body.get("retry_after")
            wait = float(retry) if retry is not None else parse_retry_after(response.headers)
            if wait is None and response.headers.get("x-ratelimit-reset-after"):
                wait = float(response.headers["x-ratelimit-reset-after"])
            if body.get("global"):
                message += " (global rate limit)"
            raise RateLimited(message, retry_after=wait, status=status)
        if status == 401 or code == INVALID_WEBHOOK_TOKEN:
            raise AuthExpired(
                f"{message}: Discord no longer accepts this webhook URL. Copy a new one from "
                "the channel's Integrations settings and connect again.", status=status,
            )
        if status == 404 and code == UNKNOWN_MESSAGE:
            raise Disconnected(message, status=status, raw={"code": code})
        if status in (403, 404):
            # 10015 Unknown Webhook: deleted. Discord asks clients to stop using it.
            raise Disconnected(
                f"{message}: the webhook was deleted or this channel is gone; connect a new "
                "webhook.", status=status, raw={"code": code},
            )
        if status == 413:
            raise BadContent(f"Too large for Discord: {message}", status=status)
        if status < 500:
            raise BadContent(message, status=status)
        if status in (502, 503, 504) or not sent_unsafe:
            raise Transient(message, status=status)
        raise OutcomeUnknown(f"Discord answered {status}: {message}", status=status)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise OutcomeUnknown(
                f"Discord answered {response.status_code} with something that is not JSON."
            ) from exc

    # -- validation (pure) -----------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        length = utf16_length(request.text)
        if length > TEXT_LIMIT:
            problems.append(Problem(
                "text_too_long",
                f"The text is {length} characters long; a Discord message allows {TEXT_LIMIT}.",
                params={"count": length, "limit": TEXT_LIMIT},
            ))
        embeds = list(request.options.get("embeds") or [])
        if not request.text.strip() and not request.media and not embeds:
            problems.append(Problem("empty", "A Discord message needs text, files or an embed."))
        problems.extend(self.media_problems(request.media))
        problems.extend(self._embed_problems(embeds))
        return problems

    @staticmethod
    def _embed_problems(embeds: list[dict[str, Any]]) -> list[Problem]:
        problems = []
        if len(embeds) > EMBEDS_MAX:
            problems.append(Problem(
                "too_many_embeds", f"{len(embeds)} embeds; Discord allows {EMBEDS_MAX}.",
                field="embeds", params={"count": len(embeds), "limit": EMBEDS_MAX},
            ))
        total = embeds_length(embeds)
        if total > EMBEDS_TOTAL_MAX:
            problems.append(Problem(
                "embeds_too_long",
                f"The embeds hold {total} characters together; Discord allows "
                f"{EMBEDS_TOTAL_MAX}.",
                field="embeds", params={"count": total, "limit": EMBEDS_TOTAL_MAX},
            ))
        for index, embed in enumerate(embeds):
            for key, limit in EMBED_FIELD_LIMITS.items():
                outer, _, inner = key.partition(".")
                value = (embed.get(outer) or {}).get(inner) if inner else embed.get(outer)
                if value and utf16_length(str(value).strip()) > limit:
                    problems.append(Problem(
                        "embed_field_too_long",
                        f"Embed {index + 1}: the {key} is longer than {limit} characters.",
                        field="embeds", params={"index": index, "field": key, "limit": limit},
                    ))
            if len(embed.get("fields") or []) > EMBED_FIELDS_MAX:
                problems.append(Problem(
                    "embed_field_too_long",
                    f"Embed {index + 1} has more than {EMBED_FIELDS_MAX} fields.",
                    field="embeds", params={"index": index, "field": "fields",
                                            "limit": EMBED_FIELDS_MAX},
                ))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        webhook = self._json(self._call("GET"))
        if not isinstance(webhook, dict) or "id" not in webhook:
            raise Transient("Discord's answer does not look like a webhook.")
        guild_id = str(webhook.get("guild_id") or "")
        channel_id = str(webhook.get("channel_id") or "")
        name = str(webhook.get("name") or "Webhook")
        return AccountInfo(
            remote_id=str(webhook["id"]),
            handle=name,
            display_name=name,
            url=f"{APP_URL}/channels/{guild_id}/{channel_id}" if guild_id else "",
            # Never the token (the answer carries it): only what identifies the channel.
            settings={"webhook_id": str(webhook["id"]), "guild_id": guild_id,
                      "channel_id": channel_id, "webhook_name": name},
        )

    # -- publishing ------------------------------------------------------------------------

    def _payload(self, request: PublishRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {"content": request.text}
        # Scheduled posts ping users and roles they name, but @everyone/@here only when the
        # user asked for it: a typo must not wake a whole server.
        parse = ["users", "roles"]
        if request.options.get("mention_everyone"):
            parse.append("everyone")
        payload["allowed_mentions"] = {"parse": parse}
        for option in ("username", "avatar_url", "thread_name", "embeds", "applied_tags"):
            if request.options.get(option):
                payload[option] = request.options[option]
        if request.options.get("suppress_embeds"):
            payload["flags"] = 1 << 2  # SUPPRESS_EMBEDS
        return payload

    def _params(self, request: PublishRequest) -> dict[str, str]:
        params = {"wait": "true"}
        if request.options.get("thread_id"):
            params["thread_id"] = str(request.options["thread_id"])
        return params

    def publish(self, request: PublishRequest) -> PublishResult:
        payload = self._payload(request)
        params = self._params(request)
        if not request.media:
            response = self._call("POST", json=payload, params=params)
        else:
            payload["attachments"] = [
                {"id": index, "filename": Path(item.path).name,
                 **({"description": item.alt_text} if item.alt_text else {})}
                for index, item in enumerate(request.media)
            ]
            with ExitStack() as stack:
                files = [
                    (f"files[{index}]", (Path(item.path).name,
                                         stack.enter_context(Path(item.path).open("rb")),
                                         item.mime_type))
                    for index, item in enumerate(request.media)
                ]
                response = self._call(
                    "POST", params=params, files=files,
                    data={"payload_json": json.dumps(payload, ensure_ascii=False)},
                )
        message = self._json(response)
        if not isinstance(message, dict) or "id" not in message:
            raise OutcomeUnknown("Discord accepted the message but did not return it.")
        return self._result(message)

    def _result(self, message: dict[str, Any]) -> PublishResult:
        channel_id = str(message.get("channel_id") or self.settings.get("channel_id") or "")
        guild_id = str(message.get("guild_id") or self.settings.get("guild_id") or "")
        message_id = str(message["id"])
        home = str(self.settings.get("channel_id") or "")
        # A message in a thread is deleted/fetched with ?thread_id: keep it in the id.
        remote_id = message_id if not home or channel_id == home else (
            f"{channel_id}/{message_id}"
        )
        url = f"{APP_URL}/channels/{guild_id}/{channel_id}/{message_id}" if guild_id else ""
        published = message.get("timestamp")
        return PublishResult(
            remote_id=remote_id,
            url=url,
            published_at=datetime.fromisoformat(published) if published else None,
            raw={"id": message_id, "channel_id": channel_id},
        )

    @staticmethod
    def _split(remote_id: str) -> tuple[str, dict[str, str]]:
        thread, _, message_id = str(remote_id).rpartition("/")
        return message_id, ({"thread_id": thread} if thread else {})

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Only a message whose id is known can be fetched (request.options["remote_id"]);
        a webhook cannot list or search its channel, so otherwise nobody can tell."""
        known = request.options.get("remote_id")
        if not known:
            raise CannotReconcile(
                "A Discord webhook cannot read its channel, so Keryx cannot tell whether the "
                "earlier attempt posted the message. Check the channel: if the message is not "
                "there, retry it; if it is, leave it."
            )
        message_id, params = self._split(str(known))
        try:
            message = self._json(self._call("GET", f"/messages/{message_id}", params=params))
        except Disconnected as exc:
            if isinstance(exc.raw, dict) and exc.raw.get("code") == UNKNOWN_MESSAGE:
                return None
            raise
        return self._result(message)

    def delete(self, remote_id: str) -> None:
        message_id, params = self._split(remote_id)
        try:
            self._call("DELETE", f"/messages/{message_id}", params=params)
        except Disconnected as exc:
            if isinstance(exc.raw, dict) and exc.raw.get("code") == UNKNOWN_MESSAGE:
                return  # already gone: deleting is done
            raise
