"""Saved searches: made and changed here, run now (synchronously, every source), results
stored once per (workspace, network, remote id), classified offline (language when the network
gives none, sentiment), matched to every search they satisfy; polled every few minutes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.core.models import Workspace
from keryx.listening import alert_delivery, alerts
from keryx.listening import query as q
from keryx.listening import sources as src
from keryx.listening.models import Match, Result, Run, SavedSearch, SourceState
from keryx.networks.base import MissingPermission, ProviderError, RateLimited
from keryx.networks.listening import Found, ListenRequest, QueryRefused, SearchUnavailable

logger = logging.getLogger(__name__)

POLL_MINUTES = 5
MAX_NAME = 120
LANGUAGE_CODE = 2


class ListeningError(ValueError):
    """Bad input for a search; the message says what, `field` where."""

    def __init__(self, message: str, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


# -- searches -------------------------------------------------------------------------------


def _clean_list(values: Any, *, strip: str = "") -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    out = []
    for value in values or ():
        value = str(value).strip().lstrip(strip).strip()
        if value and value not in out:
            out.append(value)
    return out


def _servers(values: Any, networks: list[str]) -> list[str]:
    """The named servers as base URLs, normalised by the provider of a network that can search
    servers without an account (the first of the search's networks, else any)."""
    servers = _clean_list(values)
    if not servers:
        return []
    able = [n for n in networks or src.listening_networks() if src.serves_public(n)]
    if not able:
        raise ListeningError(_("None of the chosen networks can search a named server; add "
                               "Mastodon to the networks."), "servers")
    normalise = src.server_base(able[0])
    out = []
    for value in servers:
        try:
            base = normalise(value)
        except ValueError as exc:
            raise ListeningError(_("%(server)s is not a server address: %(why)s") % {
                "server": value, "why": exc}, "servers") from exc
        if base not in out:
            out.append(base)
    return out


def _validate(search: SavedSearch) -> None:
    search.name = (search.name or "").strip()
    if not search.name:
        raise ListeningError(_("Give the search a name."), "name")
    if len(search.name) > MAX_NAME:
        raise ListeningError(_("The name is longer than %(n)s characters.") % {"n": MAX_NAME},
                             "name")
    try:
        q.parse(search.query)
    except q.QueryError as exc:
        raise ListeningError(str(exc), "query", "bad_query") from exc
    search.hashtags = _clean_list(search.hashtags, strip="#")
    search.mentions = _clean_list(search.mentions, strip="@")
    search.languages = [lang.lower() for lang in _clean_list(search.languages)]
    for lang in search.languages:
        if len(lang) != LANGUAGE_CODE or not lang.isalpha():
            raise ListeningError(_("%(lang)s is not a two-letter language code (el, en).")
                                 % {"lang": lang}, "languages")
    search.feeds = _clean_list(search.feeds)
    for url in search.feeds:
        if not url.startswith(("http://", "https://")):
            raise ListeningError(_("%(url)s is not a web address (http:// or https://).")
                                 % {"url": url}, "feeds")
    search.networks = _clean_list(search.networks)
    search.servers = _servers(search.servers, search.networks)
    if search.feeds and src.FEED not in search.networks:
        search.networks.append(src.FEED)
    if not search.networks:
        search.networks = [n for n in src.listening_networks() if n != src.FEED]
    known = src.listening_networks()
    for network in search.networks:
        if network not in known:
            raise ListeningError(_("%(network)s cannot be searched; choose from %(known)s.")
                                 % {"network": network, "known": ", ".join(known)}, "networks")
    search.domain = (search.domain or "").strip().lower().removeprefix("https://") \
        .removeprefix("http://").strip("/")
    if not (search.query.strip() or search.hashtags or search.mentions or search.domain):
        raise ListeningError(_("Give a query, a hashtag, a handle or a domain to listen for."),
                             "query")
    search.alert_webhook_url = (search.alert_webhook_url or "").strip()
    problem = alerts.webhook_problem(search.alert_webhook_url) if search.alert_webhook_url \
        else ""
    if problem:
        raise ListeningError(problem, "alert_webhook_url")
    clash = SavedSearch.objects.filter(workspace_id=search.workspace_id, name=search.name)
    if search.pk:
        clash = clash.exclude(pk=search.pk)
    if clash.exists():
        raise ListeningError(_("A search named %(name)s exists already.") % {
            "name": search.name}, "name", "duplicate")


FIELDS = ("name", "query", "hashtags", "mentions", "domain", "languages", "networks", "feeds",
          "servers", "enabled", "alert_webhook_url", "poll_minutes")


def create_search(workspace: Workspace, *, name: str, query: str = "", hashtags: Any = (),
                  mentions: Any = (), domain: str = "", languages: Any = (), networks: Any = (),
                  feeds: Any = (), servers: Any = (), alert_webhook_url: str = "",
                  enabled: bool = True, user: Any = None) -> SavedSearch:
    search = SavedSearch(workspace=workspace, name=name, query=query or "",
                         hashtags=list(hashtags), mentions=list(mentions), domain=domain or "",
                         languages=list(languages), networks=list(networks), feeds=list(feeds),
                         servers=list(servers),
                         alert_webhook_url=alert_webhook_url or "", enabled=enabled,
                         created_by=user if getattr(user, "pk", None) else None,
                         poll_minutes=POLL_MINUTES)
    _validate(search)
    try:
        search.save()
    except IntegrityError as exc:
        raise ListeningError(_("A search named %(name)s exists already.") % {"name": name},
                             "name", "duplicate") from exc
    alerts.sync_search_webhook(search)
    return search


def update_search(search: SavedSearch, **fields: Any) -> SavedSearch:
    for key, value in fields.items():
        if key not in FIELDS:
            raise ListeningError(_("Unknown field %(field)s.") % {"field": key}, key)
        setattr(search, key, value)
    _validate(search)
    search.save()
    alerts.sync_search_webhook(search)
    return search


def delete_search(search: SavedSearch) -> None:
    search.delete()


def search_query(search: SavedSearch) -> q.Query:
    extra = list(search.hashtags), list(search.mentions)
    terms = q.combined(search.query, *extra)
    if search.domain:
        terms = q.parse(" OR ".join(p for p in (f"({terms.text})" if terms.text else "",
                                                 f'"{search.domain}"') if p))
    return terms


# -- running --------------------------------------------------------------------------------


@dataclass
class _Counts:
    fetched: int = 0
    new_results: int = 0
    new_matches: int = 0
    dropped_language: int = 0
    dropped_private: int = 0
    dropped_nomatch: int = 0
    requests: int = 0


def _language(found: Found, detected: str) -> tuple[str, bool]:
    if found.language:
        return found.language.split("-")[0].lower()[:16], False
    return (detected if detected and detected != "und" else ""), True


def _store(search: SavedSearch, network: str, items: list[Found], terms: q.Query,
           counts: _Counts) -> None:
    from keryx.classify import classify_many

    fresh: list[Found] = []
    for found in items:
        counts.fetched += 1
        if not found.public:
            counts.dropped_private += 1
            continue
        haystack = f"{found.text}\n{found.url}"
        if not terms.matches(haystack, found.hashtags, found.mentions):
            counts.dropped_nomatch += 1
            continue
        fresh.append(found)
    if not fresh:
        return
    known = {r.remote_id: r for r in Result.objects.filter(
        workspace_id=search.workspace_id, network=network,
        remote_id__in=[f.remote_id for f in fresh])}
    todo = [f for f in fresh if f.remote_id not in known]
    verdicts = dict(zip([f.remote_id for f in todo], classify_many([f.text for f in todo])
                        if todo else [], strict=True))
    for found in fresh:
        result = known.get(found.remote_id)
        if result is None:
            verdict = verdicts[found.remote_id]
            language, detected = _language(found, verdict.language)
            # The network's language can be wrong or missing: a script the search did not ask
            # for (Latin text in a Greek-only search) is dropped by the detector's guess too.
            if search.languages and (language not in search.languages or (
                    not detected and verdict.language not in ("und", "", *search.languages)
                    and verdict.language_confidence >= 0.9)):
                counts.dropped_language += 1
                continue
            try:
                with transaction.atomic():
                    result = Result.objects.create(
                        workspace_id=search.workspace_id, network=network,
                        remote_id=found.remote_id[:500], url=found.url[:1000],
                        author_handle=found.author_handle[:255],
                        author_name=found.author_name[:255],
                        author_followers=found.author_followers, text=found.text,
                        language=language, language_detected=detected,
                        sentiment=verdict.sentiment, hashtags=list(found.hashtags),
                        published_at=found.published_at or timezone.now())
                counts.new_results += 1
            except IntegrityError:
                result = Result.objects.get(workspace_id=search.workspace_id, network=network,
                                            remote_id=found.remote_id[:500])
        elif search.languages and result.language not in search.languages:
            counts.dropped_language += 1
            continue
        _match, made = Match.objects.get_or_create(
            search=search, result=result,
            defaults={"published_at": result.published_at, "network": network,
                      "sentiment": result.sentiment, "irrelevant": result.irrelevant})
        counts.new_matches += int(made)


def run_search(search: SavedSearch, *, now: datetime | None = None) -> Run:
    """Run every source of the search now. A source that fails keeps its error (and, when the
    network refuses the search for good, its reason) on its state; the others still run."""
    now = now or timezone.now()
    run = Run.objects.create(search=search)
    counts = _Counts()
    errors: dict[str, str] = {}
    per_source: dict[str, dict[str, Any]] = {}
    terms = search_query(search)
    sources, problems = src.sources_for(search)
    for (network, key), why in problems.items():
        errors[f"{network}:{key}" if key else network] = why
        SourceState.objects.update_or_create(search=search, network=network, key=key,
                                             defaults={"last_error": why, "last_run_at": now})
    for source in sources:
        label = f"{source.network}:{source.key}" if source.key else source.network
        state, _made = SourceState.objects.get_or_create(search=search, network=source.network,
                                                         key=source.key[:1000])
        if state.disabled_reason:
            errors[label] = state.disabled_reason
            continue
        spec = src.spec_for(source.network)
        if spec and spec.max_query and len(terms.text) > spec.max_query:
            why = _("The query is too long for %(network)s (%(n)s characters, at most "
                    "%(max)s).") % {"network": source.network, "n": len(terms.text),
                                    "max": spec.max_query}
            errors[label] = why
            SourceState.objects.filter(pk=state.pk).update(last_error=why, last_run_at=now)
            continue
        request = ListenRequest(query=terms, languages=tuple(search.languages),
                                domain=search.domain, since=state.last_success_at,
                                since_id=state.since_id, cursor=state.cursor)
        before = _Counts(**vars(counts))
        update: dict[str, Any] = {"last_run_at": now, "last_error": ""}
        try:
            page = source.run(request)
            counts.requests += page.requests
            _store(search, source.network, page.items, terms, counts)
            # Only a run that got through moves `since` on (last_success_at).
            update.update(cursor=page.cursor[:500], since_id=page.since_id[:255],
                          last_success_at=now)
        except QueryRefused as exc:
            update["last_error"] = _("%(network)s refused the query: %(why)s") % {
                "network": source.network, "why": exc}
        except (SearchUnavailable, MissingPermission) as exc:
            update["last_error"] = update["disabled_reason"] = str(exc)
        except RateLimited as exc:
            update["last_error"] = _("%(network)s asks to slow down: %(why)s") % {
                "network": source.network, "why": exc}
        except (ProviderError, *src.FeedErrors) as exc:
            update["last_error"] = str(exc)
        if update["last_error"]:
            errors[label] = update["last_error"]
        SourceState.objects.filter(pk=state.pk).update(**update)
        per_source[label] = {k: getattr(counts, k) - getattr(before, k)
                             for k in vars(counts)}
    run.finished_at = timezone.now()
    for key, value in vars(counts).items():
        if key != "requests":
            setattr(run, key, value)
    run.errors = errors
    run.per_source = per_source
    run.save()
    SavedSearch.objects.filter(pk=search.pk).update(
        last_run_at=now, last_error="\n".join(f"{k}: {v}" for k, v in errors.items()))
    search.last_run_at = now
    search.last_error = "\n".join(f"{k}: {v}" for k, v in errors.items())
    try:
        alerts.evaluate_search(search, now=now)
    except Exception:  # an alert that cannot be evaluated or sent must not fail the run
        logger.exception("listening alerts of search %s failed", search.pk)
    return run


def poll_due(*, now: datetime | None = None) -> int:
    """The periodic job: every enabled search whose time has come, claimed once per period
    across processes by moving its next_run_at with a guarded UPDATE (each run evaluates its
    alerts); then the alert deliveries due for another attempt. Returns searches run."""
    now = now or timezone.now()
    done = 0
    due = SavedSearch.objects.filter(enabled=True).filter(
        next_run_at__isnull=True) | SavedSearch.objects.filter(enabled=True, next_run_at__lte=now)
    for search in due.order_by("next_run_at", "pk"):
        claimed = SavedSearch.objects.filter(pk=search.pk)
        claimed = claimed.filter(next_run_at=search.next_run_at) if search.next_run_at \
            else claimed.filter(next_run_at__isnull=True)
        if not claimed.update(next_run_at=now + timedelta(minutes=search.poll_minutes
                                                           or POLL_MINUTES)):
            continue
        try:
            run_search(search, now=now)
        except Exception:
            logger.exception("listening search %s failed", search.pk)
        done += 1
    try:
        alert_delivery.retry_due(now=now)
    except Exception:
        logger.exception("listening alert retries failed")
    return done


# -- results and feedback -------------------------------------------------------------------


def results(search: SavedSearch, *, since: datetime | None = None, until: datetime | None = None,
            network: str = "", sentiment: str = "", language: str = "",
            include_irrelevant: bool = False) -> QuerySet[Match]:
    """The search's matches newest first (index (search, irrelevant, -published_at, -id))."""
    rows = Match.objects.filter(search=search).select_related("result")
    if not include_irrelevant:
        rows = rows.filter(irrelevant=False)
    if since:
        rows = rows.filter(published_at__gte=since)
    if until:
        rows = rows.filter(published_at__lt=until)
    if network:
        rows = rows.filter(network=network)
    if sentiment:
        rows = rows.filter(sentiment=sentiment)
    if language:
        rows = rows.filter(result__language=language)
    return rows.order_by("-published_at", "-id")


def as_json(match: Match) -> dict[str, Any]:
    r = match.result
    return {"id": r.pk, "search": match.search.name if "search" in match._state.fields_cache
            else SavedSearch.objects.get(pk=match.search_id).name,
            "network": r.network, "url": r.url, "remote_id": r.remote_id,
            "author": r.author_handle, "author_name": r.author_name,
            "author_followers": r.author_followers, "text": r.text, "language": r.language,
            "sentiment": r.sentiment, "hashtags": r.hashtags,
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "fetched_at": r.fetched_at.isoformat() if r.fetched_at else None,
            "irrelevant": r.irrelevant, "inbox_item": r.inbox_item_id}


def mark_irrelevant(result: Result, user: Any = None, irrelevant: bool = True) -> Result:
    """Kept as feedback; the result leaves every search's counts (or comes back)."""
    with transaction.atomic():
        result.irrelevant = irrelevant
        result.irrelevant_by = user if irrelevant and getattr(user, "pk", None) else None
        result.irrelevant_at = timezone.now() if irrelevant else None
        result.save(update_fields=["irrelevant", "irrelevant_by", "irrelevant_at"])
        Match.objects.filter(result=result).update(irrelevant=irrelevant)
    return result


def send_to_inbox(result: Result, user: Any = None) -> Any:
    """An inbox item (a mention) made from the result, on the workspace's connected channel of
    its network, so it can be answered from the inbox."""
    from keryx.channels.models import Channel, ChannelStatus
    from keryx.inbox import services as inbox
    from keryx.networks import community

    if result.inbox_item_id:
        return result.inbox_item
    channel = Channel.objects.filter(workspace_id=result.workspace_id, network=result.network,
                                     status=ChannelStatus.ACTIVE).order_by("pk").first()
    if channel is None or not inbox.supports_inbox(channel):
        raise ListeningError(_("No connected %(network)s channel with an inbox in this workspace "
                               "to answer from.") % {"network": result.network}, "result",
                             "no_channel")
    item, _made = inbox.store(channel, community.InboxItem(
        remote_id=result.remote_id, kind="mention", text=result.text,
        author_handle=result.author_handle, author_name=result.author_name,
        language=result.language, created_at=result.published_at, visibility="public",
        url=result.url))
    Result.objects.filter(pk=result.pk).update(inbox_item=item)
    result.inbox_item = item
    return item


# -- rate budget ----------------------------------------------------------------------------


def budget(workspace: Workspace | None = None, searches: int | None = None) -> list[dict]:
    """Per network: its declared window and limit, the requests the saved searches need per
    window when polled every POLL_MINUTES (`searches` of them: default the workspace's, or 50
    for the planning figure), the requests used in the last window, and whether it fits."""
    rows = []
    qs = SavedSearch.objects.filter(enabled=True)
    if workspace is not None:
        qs = qs.filter(workspace=workspace)
    saved = list(qs)
    for network in src.listening_networks():
        spec = src.spec_for(network)
        if spec is None:
            continue
        mine = [s for s in saved if network in s.networks]
        per_run = [_requests_per_run(s, network, spec) for s in mine] or [
            spec.requests_per_run]
        average = sum(per_run) / len(per_run)
        count = searches if searches is not None else len(mine)
        window = spec.rate.per_seconds if spec.rate else 300.0
        limit = spec.rate.requests if spec.rate else None
        runs_per_window = max(1.0, window / (POLL_MINUTES * 60))
        needed = round(count * average * runs_per_window)
        since = timezone.now() - timedelta(seconds=window)
        used = 0
        for run in Run.objects.filter(search__in=mine, started_at__gte=since):
            used += sum(v.get("requests", 0) for k, v in run.per_source.items()
                        if k.split(":")[0] == network)
        rows.append({"network": network, "window_seconds": window, "limit": limit,
                     "scope": spec.rate.scope if spec.rate else "",
                     "searches": count, "requests_per_run": round(average, 2),
                     "needed_per_window": needed, "used": used,
                     "available": (limit - used) if limit is not None else None,
                     "ok": limit is None or needed <= limit})
    return rows


def _requests_per_run(search: SavedSearch, network: str, spec: Any) -> int:
    if network == src.FEED:
        return max(1, len(search.feeds))
    terms = search_query(search).positive_terms()
    return max(1, min(len(terms), spec.requests_per_run))
