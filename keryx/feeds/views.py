"""Feed pages: follow a source, see its suggestions, turn one into a draft. Thin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from keryx.channels.models import Channel
from keryx.core.permissions import Action
from keryx.core.web import workspace_view
from keryx.feeds import services
from keryx.feeds.models import FeedItem, FeedSource, ItemStatus
from keryx.publishing.services import PostRejected


class SourceForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("Feed address (RSS or Atom)"), max_length=1000,
                         assume_scheme="https")


class DraftForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 5}))
    channels = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Channels"), queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one channel.")})

    def __init__(self, *args: object, workspace: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.filter(workspace=workspace)


def _source(request: HttpRequest, pk: int) -> FeedSource:
    source = FeedSource.objects.filter(pk=pk, workspace=request.membership.workspace).first()
    if source is None:
        raise Http404("No such feed")
    return source


def _item(request: HttpRequest, pk: int) -> FeedItem:
    item = FeedItem.objects.select_related("source").filter(
        pk=pk, source__workspace=request.membership.workspace).first()
    if item is None:
        raise Http404("No such item")
    return item


@workspace_view(Action.USE_FEEDS)
def feed_list(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = services.add_source(workspace, form.cleaned_data["url"], user=request.user)
        except services.FeedError as exc:
            form.add_error("url", str(exc))
        else:
            messages.success(request, _("Following %(title)s.") % {"title": source})
            return redirect("feeds:list")
    sources = FeedSource.objects.filter(workspace=workspace)
    items = (FeedItem.objects.filter(source__workspace=workspace, status=ItemStatus.NEW)
             .select_related("source")[:100])
    return render(request, "feeds/list.html", {"form": form, "sources": sources, "items": items},
                  status=400 if request.method == "POST" else 200)


@require_POST
@workspace_view(Action.USE_FEEDS)
def source_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source(request, pk)
    try:
        count = services.refresh(source)
        messages.success(request, _("%(count)s new items from %(title)s.")
                         % {"count": count, "title": source})
    except services.FeedError as exc:
        messages.error(request, str(exc))
    return redirect("feeds:list")


@require_POST
@workspace_view(Action.MANAGE_PLANNING)
def source_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _source(request, pk).delete()
    messages.success(request, _("Feed removed."))
    return redirect("feeds:list")


@require_POST
@workspace_view(Action.USE_FEEDS)
def item_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    services.dismiss(_item(request, pk))
    return redirect("feeds:list")


@workspace_view(Action.USE_FEEDS)
def item_draft(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    workspace = request.membership.workspace
    form = DraftForm(request.POST or None, workspace=workspace,
                     initial={"text": services.suggested_text(item)})
    if request.method == "POST" and form.is_valid():
        try:
            post = services.make_draft(item, text=form.cleaned_data["text"],
                                       channels=list(form.cleaned_data["channels"]),
                                       user=request.user)
        except PostRejected as exc:
            form.add_error(None, exc.summary())
        else:
            messages.success(request, _("Draft saved."))
            return redirect("posts:detail", pk=post.pk)
    return render(request, "feeds/draft.html", {"form": form, "item": item},
                  status=400 if request.method == "POST" else 200)
