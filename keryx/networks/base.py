"""The provider interface every network implements, and the one error taxonomy.

Pure Python: nothing here imports Django or our models. The publishing engine hands a provider
decrypted credentials and a PublishRequest; the provider talks to the network through the HTTP
seam (networks/http.py) and answers with a PublishResult or raises one of the errors below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

# ---------------------------------------------------------------------------------------------
# Errors: what went wrong, classified so the engine knows whether to retry, wait or stop.
# ---------------------------------------------------------------------------------------------


class ProviderError(Exception):
    """Base of the taxonomy. `message` is the network's own reason in plain words."""

    retryable: ClassVar[bool] = False
    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, status: int | None = None, raw: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.raw = raw


class AuthExpired(ProviderError):
    """The token or password is no longer accepted: the user must reconnect the channel."""

    code = "auth_expired"


class Disconnected(ProviderError):
    """The account or channel is gone (deleted, suspended, app access revoked)."""

    code = "disconnected"


class BadContent(ProviderError):
    """The network refused the content itself; retrying the same content cannot succeed."""

    code = "bad_content"

    def __init__(self, message: str, problems: list[Problem] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.problems = problems or []


class Transient(ProviderError):
    """A failure that a later attempt may not meet (5xx, connection refused before sending)."""

    retryable = True
    code = "transient"


class RateLimited(Transient):
    """The network asked us to slow down; `retry_after` is seconds to wait, from its headers."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float | None = None, *, scope: str = "",
                 **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        # "app": the limit is the whole app's (every channel of the network waits);
        # "channel" or "": this token's own limit.
        self.scope = scope


class OutcomeUnknown(ProviderError):
    """The request may have reached the network (timeout after sending, connection reset).

    Never retried blindly: the target goes to `unknown` and is reconciled with `lookup` first.
    """

    code = "outcome_unknown"


class MissingPermission(ProviderError):
    """The network refused a read because the token lacks a permission (HTTP 403 on a metrics
    or profile endpoint). `permission` names what to grant, in the network's own words
    (a Mastodon scope such as "read:statuses")."""

    code = "missing_permission"

    def __init__(self, message: str, permission: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.permission = permission


class CannotReconcile(ProviderError):
    """Raised by lookup() when the network offers no way to read back what was posted (Telegram
    bots cannot read a channel; a Discord webhook can only fetch a message by its id), so an
    unknown outcome cannot be settled. Final, not retried: the user checks the channel and
    retries only if the post is missing (a manual retry then sends without looking up)."""

    code = "cannot_reconcile"


# ---------------------------------------------------------------------------------------------
# Capabilities: what a network accepts, declared so the composer and validator need no network.
# ---------------------------------------------------------------------------------------------


def gettext_noop(message: str) -> str:
    """Marks an English message a provider declares for the translation catalogue (makemessages
    knows this name); the app translates it when it shows it. Pure: no Django here."""
    return message


@dataclass(frozen=True)
class ImageGeometry:
    """What a still image must measure (width / height and pixels, inclusive; None: no limit).
    A network that declares none gets a long side of 4096 px (see DEFAULT_GEOMETRY).

    The library's adapter aims at all of these. networks/mediacheck.py refuses what the
    network itself refuses: the aspect, the short side, pixels, width + height and the side
    ratio; the width and the long side are only targets (the network scales the image)."""

    min_aspect: float | None = None
    max_aspect: float | None = None
    min_width: int | None = None
    max_width: int | None = None
    min_side: int | None = None
    max_side: int | None = None
    max_pixels: int | None = None
    max_w_plus_h: int | None = None
    # Long side / short side, either way round (Telegram photos: 20).
    max_side_ratio: float | None = None
    # Animated images (GIF, APNG, animated WebP) are sent as they are where this is True.
    animated: bool = False
    animated_max_bytes: int | None = None


# Where a network publishes no geometry: every network downsizes beyond this anyway.
DEFAULT_GEOMETRY = ImageGeometry(max_side=4096)


@dataclass(frozen=True)
class VideoRules:
    """What a network's video must be, checked against ffprobe's facts (None: no limit)."""

    min_seconds: float | None = None
    max_seconds: float | None = None
    max_width: int | None = None
    codecs: tuple[str, ...] = ()


@dataclass(frozen=True)
class MediaRules:
    max_items: int = 4
    image_types: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
    max_image_bytes: int = 5 * 1024 * 1024
    video_types: frozenset[str] = frozenset()
    max_video_bytes: int = 0
    alt_text: bool = True
    alt_text_max: int | None = None
    mix_images_and_video: bool = False
    # What networks/mediacheck.py reads besides the above and `geometry` / `video` below
    # (defaults: no such rule).
    # Fewer items than this is refused ("media_required"; "video_required" on video-only networks).
    min_items: int = 0
    # Kinds ("video", "document") or MIME types ("image/gif") that must be a post's only item.
    alone: frozenset[str] = frozenset()
    # Every video/* type is taken (video_types then lists the common ones, for the docs).
    any_video_type: bool = False
    # Byte limits for one MIME type, where it differs from its kind's (X: GIFs 15 MB).
    type_max_bytes: tuple[tuple[str, int], ...] = ()
    min_video_bytes: int = 0
    document_types: frozenset[str] = frozenset()
    max_document_bytes: int = 0
    # How alt text is counted against alt_text_max: "chars", "graphemes" or "utf16".
    alt_text_counting: str = "chars"
    # Videos are read by ffprobe (networks/videoprobe.py): unreadable files, container, and the
    # duration in `video` below.
    probe_video: bool = False
    video_containers: frozenset[str] = frozenset()  # empty: any container ffprobe can read
    # Still images, aimed at by the library's adapter (None: DEFAULT_GEOMETRY).
    geometry: ImageGeometry | None = None
    # Video duration, width and codec (None: only the types and size above are checked).
    video: VideoRules | None = None
    # Channel settings that replace image_types / max_image_bytes when present (a server that
    # tells its own limits at connect time).
    image_types_setting: str = ""
    image_bytes_setting: str = ""


Counter = Callable[[str], int]


@dataclass(frozen=True)
class TextRule:
    """One limit on a post's main text, counted the network's way. The composer's counters and
    thread splitter read these (networks.counting.rules resolves them for one channel)."""

    unit: str  # "characters" | "weighted" | "bytes" | "utf16"
    count: Counter
    limit: int
    # The channel setting holding the account's or server's own limit, used when present.
    limit_setting: str = ""
    # The limit when media are attached: any video / other media only (None: `limit`).
    limit_with_video: int | None = None
    limit_with_images: int | None = None
    # A counter made from the channel's settings (a server's own link length); wins over count.
    counter_for: Callable[[Mapping[str, Any]], Counter] | None = None
    # The content warning shares the budget: it is counted with the text.
    counts_content_warning: bool = False


@dataclass(frozen=True)
class PreviewRules:
    """How the network's app shows a post, for the composer's preview."""

    # Characters shown before the rest folds behind "… more" (None: never folds).
    fold_at: int | None = None
    # Links shown shortened to this many characters of host and path (None: in full).
    link_width: int | None = None


@dataclass(frozen=True)
class RequestExtras:
    """What Keryx adds to a request for this network beyond the post's own text and media."""

    # The request option that carries a link as its own field (a link card); "" = in the text.
    link_option: str = ""
    # The request option a link card fetched by Keryx goes in, for posts without media (media
    # take the embed); "" = the network draws its own cards. A workspace may turn cards off.
    link_card_option: str = ""
    # The caption's closing hashtags may go into the first comment (a workspace preference).
    closing_tags_to_first_comment: bool = False


@dataclass(frozen=True)
class MentionRules:
    """How `@{Name}` reads on this network given a contact's handle, and what a handle looks
    like (checked when a contact is saved). Networks without these show the plain name."""

    # {handle} and {name} are filled in: "@{handle}", "u/{handle}", "@[{name}]({handle})".
    format: str = "@{handle}"
    pattern: str = r"^[A-Za-z0-9_.]{1,100}$"
    hint: str = gettext_noop("A handle has letters, digits, dots and underscores only.")
    # Prefixes people type that are not part of the stored handle (first match removed, any
    # case), then leading "@" unless strip_at is False.
    strip_prefixes: tuple[str, ...] = ()
    strip_at: bool = True
    lowercase: bool = False
    # Characters replaced in the name (brackets would end LinkedIn's annotation early).
    name_replacements: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RateBudget:
    """A network's documented request budget: `requests` per `per_seconds`, for the whole app
    (scope "app": one client id or API project shared by every channel) or per token ("channel").
    Analytics' collector paces itself with the app budgets (keryx/analytics/ratelimit.py)."""

    requests: int
    per_seconds: float
    scope: str = "app"
    source: str = ""  # where the figure comes from (the network's reference page)


@dataclass(frozen=True)
class MetricsSpec:
    """What a network's API gives analytics, declared so pages and exports can say "not given
    by this network" instead of showing 0, and so the collector knows its limits.

    `post` and `channel` name PostMetrics / ChannelMetrics fields the API fills (others are
    always None); `permission` is what to grant when a read is refused (a scope, in the
    network's words); `recent_posts`: the account's posts can be listed for import
    (`recent_days` back at most); `rate` the budgets the reads count against; `notes` the
    caveats (figures only for some account kinds, windows)."""

    post: frozenset[str]
    channel: frozenset[str] = frozenset()
    permission: str = ""
    recent_posts: bool = False
    rate: tuple[RateBudget, ...] = ()
    notes: str = ""

    def app_budget(self) -> RateBudget | None:
        return next((b for b in self.rate if b.scope == "app"), None)


@dataclass(frozen=True)
class Capabilities:
    text_limit: int
    counting: str  # "mastodon" | "bluesky" | "twitter" | "utf16" | "chars" | "bytes"
    media: MediaRules = field(default_factory=MediaRules)
    requires_text_or_media: bool = True
    content_warning: bool = False
    threads: bool = False
    first_comment: bool = False
    native_scheduling: bool = False
    metrics: bool = False
    comments: bool = False
    direct_messages: bool = False
    search: bool = False
    # The inbox (networks' fetch_inbox / reply_to / hide_comment / delete_item, see InboxProvider).
    inbox: bool = False
    hide_comments: bool = False
    delete_comments: bool = False
    # Public accounts of others can be followed without special access (CompetitorsProvider).
    competitors: bool = False
    # The network itself guarantees a retried publish with the same key cannot post twice
    # (Mastodon Idempotency-Key, Bluesky record key). Others are looked up before any retry.
    idempotent_publish: bool = False
    connect: str = "oauth2"  # "oauth2" | "app_password" | "access_token" | "bot_token" | "webhook"
    # How the main text is counted and limited (empty: no text limit the composer knows).
    text_rules: tuple[TextRule, ...] = ()
    # The composer offers to split a text too long for one post into a thread.
    split_long_text: bool = False
    preview: PreviewRules = field(default_factory=PreviewRules)
    extras: RequestExtras = field(default_factory=RequestExtras)
    mentions: MentionRules | None = None
    # Hashtags the network's guidance suggests at most (a warning), and its hard limit (the
    # provider's validate refuses more; no warning is given then).
    hashtags_recommended: int | None = None
    hashtags_max: int | None = None
    # What analytics can read from this network (None: nothing declared; see MetricsSpec).
    metrics_spec: MetricsSpec | None = None
    # Social listening: the network's public search (keryx.networks.listening.ListeningSpec);
    # the provider implements listen(ListenRequest) -> ListenPage.
    listening: Any = None


# ---------------------------------------------------------------------------------------------
# Requests and results.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason content cannot be published as it is. `code` is stable; `message` is English."""

    code: str
    message: str
    field: str = "text"
    # dataclasses.field, spelled out: the attribute above shadows the bare name here.
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class MediaItem:
    path: str
    mime_type: str
    size: int
    alt_text: str = ""
    width: int | None = None
    height: int | None = None
    # A public, time-limited URL of the same file, for networks that fetch media themselves
    # (Instagram, Threads, TikTok photos, Google Business Profile). Empty when unknown.
    url: str = ""


@dataclass(frozen=True)
class PublishRequest:
    text: str
    media: tuple[MediaItem, ...] = ()
    content_warning: str = ""
    # Fixed per target, stored before the first attempt (see Provider.new_idempotency_key).
    idempotency_key: str = ""
    # When the post was meant to go out: lets lookup() bound its search.
    scheduled_at: datetime | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # The text's language (ISO 639-1; "" unknown): chosen by the author or detected offline.
    # Networks that take one (Mastodon's `language`, Bluesky's `langs`) send it.
    language: str = ""


@dataclass(frozen=True)
class PublishResult:
    remote_id: str
    url: str
    published_at: datetime | None = None
    # raw["follow_up_error"]: the post is out, but a later part (thread reply, first comment)
    # failed; the engine records it on the target without failing the post.
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountInfo:
    """Who the credentials belong to, shown on the channel and used as its default name."""

    remote_id: str
    handle: str
    display_name: str = ""
    url: str = ""
    # Non-secret facts learned at connect time that validation needs (e.g. max_characters).
    settings: dict[str, Any] = field(default_factory=dict)


CredentialsSaver = Callable[[dict[str, Any]], None]


# ---------------------------------------------------------------------------------------------
# Connecting: OAuth 2.0 (with PKCE where the network supports it) or credential fields.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OAuth2Spec:
    """How a network's OAuth 2.0 authorization-code flow looks. Paths are joined to the
    provider's oauth base (KERYX_<NETWORK>_OAUTH_BASE, default the official host)."""

    authorize_path: str
    token_path: str
    scopes: tuple[str, ...]
    pkce: bool = True
    scope_separator: str = " "
    # "basic": client id/secret in an Authorization: Basic header; "body": in the form body.
    client_auth: str = "body"
    extra_authorize_params: dict[str, str] = field(default_factory=dict)
    # The name of the client id parameter in the authorize URL (TikTok says "client_key").
    client_id_param: str = "client_id"
    # Where the token endpoint lives if not under the oauth base (some networks split them):
    # a path under the API base instead.
    token_on_api_base: bool = False


@dataclass(frozen=True)
class ConnectField:
    """One value a user gives to connect without a browser (CLI flags, credential forms).

    `name` is the credentials/settings key and the CLI flag (`page_id` -> `--page-id`)."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""
    # Where the value is kept: "credentials" (encrypted) or "settings" (plain, non-secret).
    store: str = "credentials"
    # The credentials/settings key when it is not `name` (stored data keeps its old shape).
    key: str = ""
    # The value used when left empty (a network's default server).
    default: str = ""
    # Leading characters people type that are not part of the value (the "@" of a handle).
    lstrip: str = ""
    # The provider's own check: the value as stored, or ValueError with a readable reason.
    normalize: Callable[[str], str] | None = None
    # A server address Keryx will call: refused if private or local (the SSRF guard).
    server_url: bool = False
    # What to say when a required value is left empty (English, translated where shown).
    missing: str = ""


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    scope: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def as_credentials(self) -> dict[str, Any]:
        creds: dict[str, Any] = {"access_token": self.access_token}
        if self.refresh_token:
            creds["refresh_token"] = self.refresh_token
        if self.expires_at:
            creds["expires_at"] = self.expires_at.isoformat()
        if self.scope:
            creds["scope"] = self.scope
        return creds


class NotSupported(ProviderError):
    """The network does not offer this action (hiding another person's reply on Mastodon)."""

    code = "not_supported"


class Gone(Disconnected):
    """The item we act on no longer exists on the network (deleted before our reply)."""

    code = "gone"


class Provider(Protocol):
    """What the engine expects of a network. Construct with the channel's decrypted credentials,
    its non-secret settings, an HTTP seam, and a callback to persist refreshed credentials."""

    network: ClassVar[str]
    display_name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, context: ProviderContext) -> None: ...

    def validate(self, request: PublishRequest) -> list[Problem]:
        """Pure: every problem with this content on this channel, no network call."""
        ...

    def verify(self) -> AccountInfo:
        """Check the credentials against the network; raise AuthExpired if refused."""
        ...

    def publish(self, request: PublishRequest) -> PublishResult:
        """Post once. Raises the taxonomy's errors; OutcomeUnknown when it cannot tell."""
        ...

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Find a post made for this request (by idempotency key, record key or recent posts).

        None means the network certainly has no such post, so a retry is safe."""
        ...

    def delete(self, remote_id: str) -> None: ...

    @classmethod
    def new_idempotency_key(cls) -> str:
        """A key chosen once per target, before the first attempt, kept across retries."""
        ...


class OAuthProvider(Provider, Protocol):
    """Networks connected through OAuth 2.0 also implement these (a provider built with empty
    credentials and the app's client id/secret in the context can exchange a code)."""

    oauth: ClassVar[OAuth2Spec]
    default_api_base: ClassVar[str]
    default_oauth_base: ClassVar[str]

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet: ...

    def refresh(self) -> TokenSet:
        """A new token set from the stored refresh token; AuthExpired if it is refused.
        Keeps the old refresh token when the network does not rotate it."""
        ...


@dataclass
class ProviderContext:
    """What a provider is built with. `allow_private` lists hosts let past the SSRF guard."""

    credentials: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    save_credentials: CredentialsSaver | None = None
    timeout: float = 30.0
    allow_private: tuple[str, ...] = ()
    # Endpoints and the self-hoster's app credentials (KERYX_<NETWORK>_API_BASE, _OAUTH_BASE,
    # _CLIENT_ID, _CLIENT_SECRET); empty strings mean the provider's defaults / not configured.
    api_base: str = ""
    oauth_base: str = ""
    client_id: str = ""
    client_secret: str = ""
