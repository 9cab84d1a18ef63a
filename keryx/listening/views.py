"""The listening pages: the saved searches (counts, last runs, share of voice, create, edit,
delete, run now) and one search's results (filters, pages, charts, feedback, CSV). Thin:
keryx.listening.services changes things, keryx.listening.figures counts them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.core import csvsafe
from keryx.core.permissions import Action, can, require
from keryx.core.web import safe_next, workspace_view
from keryx.listening import charts, figures, services
from keryx.listening import sources as src
from keryx.listening.models import Result, SavedSearch, Sentiment

PAGE_SIZE = 50
PERIODS = (1, 3, 7, 30, 90)
CSV_COLUMNS = ("published_at", "network", "author", "author_name", "text", "language",
               "sentiment", "hashtags", "url", "remote_id")


def _share_text(row: dict[str, Any]) -> str:
    """"24 (80.0 %)", with the decimal separator of the page's language (80,0 in Greek)."""
    return f'{row["count"]} ({formats.number_format(row["percent"], 1)} %)'


def _search(request: HttpRequest, search_id: int) -> SavedSearch:
    search = SavedSearch.objects.filter(workspace=request.membership.workspace,
                                        pk=search_id).first()
    if search is None:
        raise Http404(_("No such saved search"))
    return search


def _result(request: HttpRequest, result_id: int) -> Result:
    result = Result.objects.filter(workspace=request.membership.workspace, pk=result_id).first()
    if result is None:
        raise Http404(_("No such result"))
    return result


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _period(data: QueryDict) -> tuple[figures.Period, str]:
    """The period asked (from/until dates, else `days`), else the default; an error text when
    what was asked cannot be used."""
    try:
        days = int(data.get("days") or figures.DEFAULT_DAYS)
    except ValueError:
        days = figures.DEFAULT_DAYS
    try:
        return figures.period(_date(data.get("from")), _date(data.get("until")), days=days), ""
    except ValueError:
        return figures.period(), _("That period cannot be shown (it runs backwards or is "
                                   "longer than a year); the last 7 days instead.")


def _commas(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _form_fields(data: QueryDict) -> dict[str, Any]:
    return {"name": data.get("name", ""), "query": data.get("query", ""),
            "hashtags": _commas(data.get("hashtags", "")),
            "languages": _commas(data.get("languages", "")),
            "networks": data.getlist("networks"),
            "feeds": [line.strip() for line in data.get("feeds", "").splitlines()
                      if line.strip()],
            "servers": _commas(data.get("servers", "")),
            "enabled": data.get("enabled") == "on"}


def _form_context(search: SavedSearch | None, data: QueryDict | None) -> dict[str, Any]:
    if data is not None:
        form = {**_form_fields(data), "hashtags": data.get("hashtags", ""),
                "languages": data.get("languages", ""), "servers": data.get("servers", "")}
    elif search is not None:
        form = {"name": search.name, "query": search.query,
                "hashtags": ", ".join(search.hashtags), "languages": ", ".join(search.languages),
                "networks": list(search.networks), "feeds": list(search.feeds),
                "servers": ", ".join(search.servers),
                "enabled": search.enabled}
    else:
        form = {"networks": [], "feeds": [], "enabled": True}
    form["feeds_text"] = "\n".join(form.get("feeds") or ())
    return {"form": form, "networks": src.listening_networks()}


@workspace_view(Action.VIEW_LISTENING)
def search_list(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    may_manage = can(request.membership, Action.MANAGE_LISTENING)
    error, error_field = "", ""
    if request.method == "POST":
        require(request.membership, Action.MANAGE_LISTENING)
        try:
            search = services.create_search(workspace, user=request.user,
                                            **_form_fields(request.POST))
        except services.ListeningError as exc:
            error, error_field = str(exc), exc.field
        else:
            messages.success(request, _("Search %(name)s saved.") % {"name": search.name})
            return redirect("listening:search", search_id=search.pk)
    searches = list(SavedSearch.objects.filter(workspace=workspace).prefetch_related("sources"))
    week = figures.counts_per_search(workspace, timezone.now() - timedelta(days=7))
    when, period_error = _period(request.GET)
    share = figures.share_of_voice(workspace, when, searches)
    return render(request, "listening/list.html", {
        "searches": [{"search": s, "week": week.get(s.pk, 0),
                      "sources": sorted(s.sources.all(), key=lambda x: (x.network, x.key))}
                     for s in searches],
        "share": share, "period": when, "period_error": period_error, "periods": PERIODS,
        "share_chart": charts.horizontal_bars(
            [(r["name"], r["count"], _share_text(r)) for r in share],
            _("Share of voice")),
        "poll_minutes": services.POLL_MINUTES,
        "budget": [dict(row, window_minutes=round(row["window_seconds"] / 60))
                   for row in services.budget(workspace) if row["searches"]],
        "may_manage": may_manage, "error": error, "error_field": error_field,
        **_form_context(None, request.POST if error else None),
    }, status=422 if error else 200)


@workspace_view(Action.MANAGE_LISTENING)
def search_edit(request: HttpRequest, search_id: int) -> HttpResponse:
    search = _search(request, search_id)
    error, error_field = "", ""
    if request.method == "POST":
        try:
            services.update_search(search, **_form_fields(request.POST))
        except services.ListeningError as exc:
            error, error_field = str(exc), exc.field
            search.refresh_from_db()
        else:
            messages.success(request, _("Search %(name)s saved.") % {"name": search.name})
            return redirect("listening:search", search_id=search.pk)
    return render(request, "listening/edit.html", {
        "search": search, "error": error, "error_field": error_field,
        **_form_context(search, request.POST if error else None),
    }, status=422 if error else 200)


@require_POST
@workspace_view(Action.MANAGE_LISTENING)
def search_delete(request: HttpRequest, search_id: int) -> HttpResponse:
    search = _search(request, search_id)
    name = search.name
    services.delete_search(search)
    messages.success(request, _("Search %(name)s deleted.") % {"name": name})
    return redirect("listening:list")


@require_POST
@workspace_view(Action.MANAGE_LISTENING)
def search_run(request: HttpRequest, search_id: int) -> HttpResponse:
    search = _search(request, search_id)
    run = services.run_search(search)
    messages.success(request, _("%(name)s ran: %(fetched)s fetched, %(new)s new.") % {
        "name": search.name, "fetched": run.fetched, "new": run.new_matches})
    for where, why in (run.errors or {}).items():
        messages.error(request, f"{where}: {why}")
    return redirect(safe_next(request, reverse("listening:list")))


def _filters(data: QueryDict) -> figures.Filters:
    sentiment = data.get("sentiment", "")
    return figures.Filters(network=data.get("network", "")[:32],
                           language=data.get("language", "")[:16].lower(),
                           sentiment=sentiment if sentiment in Sentiment.values else "")


@workspace_view(Action.VIEW_LISTENING)
def search_page(request: HttpRequest, search_id: int) -> HttpResponse:
    search = _search(request, search_id)
    when, period_error = _period(request.GET)
    only = _filters(request.GET)
    page = Paginator(figures.page_rows(search, when, only), PAGE_SIZE).get_page(
        request.GET.get("page"))
    found = figures.figures(search, when, only)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "listening/search.html", {
        "search": search, "page": page, "period": when, "period_error": period_error,
        "periods": PERIODS, "only": only, "figures": found, "query": query.urlencode(),
        "networks": sorted(set(search.networks) | ({only.network} - {""})),
        "sentiments": Sentiment.choices,
        "may_manage": can(request.membership, Action.MANAGE_LISTENING),
        "day_chart": charts.bar_chart(found["by_day"], _("Results per day")),
        "hour_chart": charts.hour_chart(found["by_hour"], _("Results per hour"))
        if found["by_hour"] else None,
        "sentiment_chart": charts.horizontal_bars(
            [(str(r["label"]), r["count"], _share_text(r))
             for r in found["sentiment"]], _("Sentiment share"),
            colours={str(label): charts.SENTIMENT_COLOURS[value]
                     for value, label in Sentiment.choices}),
        "author_chart": charts.horizontal_bars(
            [(f'{r["handle"]} · {r["network"]}', r["count"], str(r["count"]))
             for r in found["authors"]],
            _("Top authors"), colours={}),
        "word_chart": charts.horizontal_bars(
            [(r["word"], r["count"], str(r["count"])) for r in found["words"]],
            _("Top co-occurring words"), colours={}),
        "tag_chart": charts.horizontal_bars(
            [("#" + r["tag"], r["count"], str(r["count"])) for r in found["hashtags"]],
            _("Top hashtags"), colours={}),
    })


class _Echo:
    """A file that hands back what is written: StreamingHttpResponse sends it row by row."""

    def write(self, value: str) -> str:
        return value


@workspace_view(Action.VIEW_LISTENING)
def search_csv(request: HttpRequest, search_id: int) -> StreamingHttpResponse:
    search = _search(request, search_id)
    when, _error = _period(request.GET)
    rows = figures.page_rows(search, when, _filters(request.GET))
    out = csvsafe.writer(_Echo())
    zone = when.zone

    def lines() -> Any:
        yield out.writerow(CSV_COLUMNS)
        for match in rows.iterator(chunk_size=2000):
            r = match.result
            yield out.writerow([
                r.published_at.astimezone(zone).isoformat() if r.published_at else "",
                r.network, r.author_handle, r.author_name, r.text, r.language, r.sentiment,
                " ".join(f"#{t}" for t in r.hashtags or ()), r.url, r.remote_id])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="listening-{search.pk}-{when.first_day}-{when.last_day}.csv"')
    return response


@require_POST
@workspace_view(Action.MANAGE_LISTENING)
def result_irrelevant(request: HttpRequest, result_id: int) -> HttpResponse:
    result = _result(request, result_id)
    undo = request.POST.get("irrelevant") == "0"
    services.mark_irrelevant(result, request.user, not undo)
    messages.success(request, _("Marked relevant again.") if undo
                     else _("Marked irrelevant: it no longer counts."))
    return redirect(safe_next(request, reverse("listening:list")))


@require_POST
@workspace_view(Action.MANAGE_LISTENING)
def result_inbox(request: HttpRequest, result_id: int) -> HttpResponse:
    result = _result(request, result_id)
    try:
        services.send_to_inbox(result, request.user)
    except services.ListeningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sent to the inbox."))
    return redirect(safe_next(request, reverse("listening:list")))
