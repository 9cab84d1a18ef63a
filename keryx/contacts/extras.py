"""The composer's extras applied to one channel's request, in one place, so what is validated is
what is sent. Which extras a network takes, it declares (Capabilities.extras):

1. `@{Name}` becomes the mention that network understands (contacts.services);
2. closing_tags_to_first_comment, when the workspace asks for it: the caption's closing
   hashtags go into the first comment (after any first comment the post already has);
3. link_card_option, at publish time: a preview card for the link in that request option,
   unless the post has media (they take the embed) or the workspace turned cards off.

publishing.services calls `apply_extras` from validate_post (fetch=False: no network traffic
while typing) and from request_for (fetch=True).
"""

from __future__ import annotations

import dataclasses
import logging

from keryx.contacts import hashtags
from keryx.contacts.models import ComposerSettings
from keryx.contacts.services import expand_for
from keryx.networks import registry
from keryx.networks.base import PublishRequest, RequestExtras
from keryx.networks.text import find_urls

logger = logging.getLogger(__name__)


def settings_for(workspace_id: int) -> ComposerSettings:
    found = ComposerSettings.objects.filter(workspace_id=workspace_id).first()
    return found or ComposerSettings(workspace_id=workspace_id)


def networks_offering(extra: str) -> list[str]:
    """The display names of the networks declaring this extra ("closing_tags_to_first_comment",
    "link_card_option"), for the preferences page."""
    found = []
    for network in registry.in_form_order():
        declared = registry.capabilities(network)
        if declared is not None and getattr(declared.extras, extra):
            found.append(registry.display_name(network))
    return found


def card_link(request: PublishRequest) -> str:
    """The link a card is made for: the post's own link option, else the first URL."""
    link = request.options.get("link")
    if link:
        return str(link)
    urls = find_urls(request.text)
    return urls[0].value if urls else ""


def apply_extras(workspace_id: int, network: str, request: PublishRequest, *,
                 fetch: bool = False) -> PublishRequest:
    text = expand_for(workspace_id, request.text, network).text
    options = dict(request.options)
    first_comment = options.get("first_comment")
    if first_comment:
        options["first_comment"] = expand_for(workspace_id, str(first_comment), network).text
    declared = registry.capabilities(network)
    extras = declared.extras if declared is not None else RequestExtras()
    prefs: ComposerSettings | None = None
    if extras.closing_tags_to_first_comment:
        prefs = settings_for(workspace_id)
        if prefs.closing_tags_in_first_comment:
            text, tags = hashtags.split_closing_tags(text)
            if tags:
                existing = str(options.get("first_comment") or "").strip()
                options["first_comment"] = f"{existing}\n\n{tags}" if existing else tags
    card_option = extras.link_card_option
    if card_option and fetch and not request.media and card_option not in options:
        prefs = prefs or settings_for(workspace_id)
        link = card_link(dataclasses.replace(request, text=text))
        if prefs.link_cards and link:
            from keryx.links.preview import card_for, external_option

            try:
                card = external_option(card_for(workspace_id, link))
            except Exception:  # a card is a nicety: never let it stop the post
                logger.warning("link card for %s failed", link, exc_info=True)
                card = None
            if card:
                options[card_option] = card
    if text == request.text and options == request.options:
        return request
    return dataclasses.replace(request, text=text, options=options)
