"""What the listening pages show: a period in the viewer's time zone, a search's results
filtered, and its figures (volume per day or hour, sentiment share, top authors, co-occurring
words and hashtags), counts per search and share of voice. Counts are aggregated in the
database (values()/annotate on Match, whose (search, published_at) index they read); words are
counted in Python on the newest WORD_SAMPLE results only, so a search of 100,000 results stays
fast (the page says so)."""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import connections
from django.db.models import Count, QuerySet
from django.db.models.functions import Substr, TruncDay, TruncHour
from django.utils import timezone

from keryx.core.models import Workspace
from keryx.listening import query as q
from keryx.listening.models import Match, SavedSearch, Sentiment

DEFAULT_DAYS = 7
MAX_DAYS = 366
HOURLY_UP_TO_DAYS = 3
TOP = 10
WORD_SAMPLE = 2000
MIN_WORD = 2

# Folded (lower case, no accents, final sigma as sigma): compared with q.fold()'s output.
STOP_WORDS = frozenset(q.fold(w) for w in """
a an and are as at be but by for from has have i in is it its of on or our so that the their
this to was we were will with you your not no do does did just about more can all they he she
http https www com rt via amp me my if than then there what when who how
και να το τα του της των τη την τον ο η οι σε στο στη στην στον στα στις στους με για από
που θα δεν μην ειναι είναι ήταν ένα μια μία ενα ενός ως αλλά αλλα ή ότι οτι πως πιο ποιο
έχει εχει έχουν εχουν εγώ εσύ αυτό αυτή αυτός αυτά αυτο μας σας τους τις τι κι ας δε
""".split())
_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
_WORD = re.compile(r"\w+(?:['’.-]\w+)*", re.UNICODE)  # as keryx.listening.query reads words
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"[#@][\w.@-]+", re.UNICODE)


@dataclass(frozen=True)
class Period:
    """[start, end) as aware instants, from inclusive local dates in `zone`."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    zone: tzinfo

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def hourly(self) -> bool:
        return self.days <= HOURLY_UP_TO_DAYS


def period(first: date | None = None, last: date | None = None, *, days: int | None = None,
           zone: tzinfo | None = None) -> Period:
    """The local dates first..last (default: the last DEFAULT_DAYS days up to today) in the
    active time zone (the user's, else the workspace's: keryx.core.middleware). ValueError when
    the period runs backwards or is longer than MAX_DAYS."""
    zone = zone or timezone.get_current_timezone()
    today = timezone.now().astimezone(zone).date()
    last = last or today
    first = first or last - timedelta(days=max(1, min(days or DEFAULT_DAYS, MAX_DAYS)) - 1)
    if first > last:
        raise ValueError("The period starts after it ends.")
    if (last - first).days >= MAX_DAYS:
        raise ValueError("The period is longer than a year.")
    start = datetime.combine(first, time.min).replace(tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min).replace(tzinfo=zone)
    return Period(start, end, first, last, zone)


@dataclass(frozen=True)
class Filters:
    network: str = ""
    language: str = ""
    sentiment: str = ""


def matches(search: SavedSearch, when: Period, only: Filters = Filters()) -> QuerySet[Match]:
    """The search's relevant matches in the period with the filters (no order)."""
    rows = Match.objects.filter(search=search, irrelevant=False, published_at__gte=when.start,
                                published_at__lt=when.end)
    if only.network:
        rows = rows.filter(network=only.network)
    if only.sentiment:
        rows = rows.filter(sentiment=only.sentiment)
    if only.language:
        rows = rows.filter(result__language=only.language)
    return rows


def page_rows(search: SavedSearch, when: Period, only: Filters = Filters()) -> QuerySet[Match]:
    """Newest first, each with its result (one query per page, however many results)."""
    return matches(search, when, only).select_related("result").order_by("-published_at", "-id")


@dataclass
class Bucket:
    start: datetime  # the local hour's start (or the local day's, for longer periods), aware
    sentiment: str
    count: int


def _whole_hours(when: Period) -> bool:
    """Whether the zone is a whole number of hours from UTC throughout the period (Athens,
    London, New York; not Kolkata or Kathmandu): then a UTC hour is a local hour."""
    day = when.start
    while day <= when.end:
        offset = day.utcoffset() or timedelta()
        if offset.total_seconds() % 3600:
            return False
        day += timedelta(days=1)
    return True


def buckets(rows: QuerySet[Match], when: Period) -> list[Bucket]:
    """The rows counted per hour (for hourly periods) or local day, and sentiment, in one query:
    the day, hour and sentiment charts all add these up. SQLite runs Django's zone-aware
    truncation in Python row by row (ten times slower), so there the hour is cut from the
    stored UTC text where the zone allows it, and added up into local days here."""
    grouped = rows.order_by()
    if connections[rows.db].vendor == "sqlite" and _whole_hours(when):
        # SQLite stores UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]": its first 13 characters.
        grouped = grouped.annotate(start=Substr("published_at", 1, 13))
    else:
        cut = TruncHour if when.hourly else TruncDay
        grouped = grouped.annotate(start=cut("published_at", tzinfo=_zone_info(when.zone)))
    out = []
    for start, sentiment, n in grouped.values("start", "sentiment").annotate(
            n=Count("id")).values_list("start", "sentiment", "n"):
        if isinstance(start, str):
            start = datetime.fromisoformat(f"{start}:00+00:00")
        out.append(Bucket(start, sentiment or "", n))
    return out


def _zone_info(zone: tzinfo) -> zoneinfo.ZoneInfo:
    # TruncHour wants a ZoneInfo; the active zone may be datetime's fixed UTC.
    return zoneinfo.ZoneInfo(getattr(zone, "key", None) or "UTC")


def volume_by_day(counted: list[Bucket], when: Period) -> list[tuple[date, int]]:
    """Every local day of the period with its count (0 where none)."""
    days: Counter[date] = Counter()
    for bucket in counted:
        days[bucket.start.astimezone(when.zone).date()] += bucket.count
    return [(when.first_day + timedelta(days=i), days.get(when.first_day + timedelta(days=i), 0))
            for i in range(when.days)]


def volume_by_hour(counted: list[Bucket], when: Period) -> list[tuple[datetime, int]]:
    """Every local hour of the period with its count (for periods of HOURLY_UP_TO_DAYS)."""
    hours: Counter[datetime] = Counter()
    for bucket in counted:
        hours[bucket.start.astimezone(UTC)] += bucket.count
    out = []
    moment, end = when.start.astimezone(UTC), when.end.astimezone(UTC)
    while moment < end:
        out.append((moment.astimezone(when.zone), hours.get(moment, 0)))
        moment += timedelta(hours=1)
    return out


def sentiment_share(counted: list[Bucket]) -> list[dict[str, Any]]:
    """Positive, neutral, negative (and unclassified when any): count and percent."""
    by_sentiment: Counter[str] = Counter()
    for bucket in counted:
        by_sentiment[bucket.sentiment] += bucket.count
    total = sum(by_sentiment.values())
    out = [{"sentiment": value, "label": label, "count": by_sentiment.get(value, 0),
            "percent": round(100 * by_sentiment.get(value, 0) / total, 1) if total else 0.0}
           for value, label in Sentiment.choices]
    if by_sentiment.get(""):
        out.append({"sentiment": "", "label": "—", "count": by_sentiment[""],
                    "percent": round(100 * by_sentiment[""] / total, 1)})
    return out


def top_authors(rows: QuerySet[Match], limit: int = TOP) -> list[dict[str, Any]]:
    return [{"network": r["network"], "handle": r["result__author_handle"], "count": r["n"]}
            for r in rows.order_by().exclude(result__author_handle="")
            .values("network", "result__author_handle").annotate(n=Count("id"))
            .order_by("-n", "result__author_handle")[:limit]]


def _own_words(search: SavedSearch) -> set[str]:
    """The search's own terms: every result has them, so they say nothing as co-occurring."""
    own = {q.fold(h.lstrip("#")) for h in search.hashtags}
    try:
        for term in q.parse(search.query).terms:
            own.update(term.folded())
            own.add(q.fold(term.value))
    except q.QueryError:
        pass
    return own


def _top(counted: Counter[str], surface: dict[str, Counter[str]], limit: int
         ) -> list[tuple[str, int]]:
    """The most frequent keys, each shown as its most frequent written form (lower case; on a
    tie the accented one: "αθήνα" rather than the "αθηνα" of a text in capitals)."""
    best = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(max(surface[key].items(), key=lambda kv: (kv[1], kv[0] != key, kv[0]))[0], n)
            for key, n in best]


def words_and_hashtags(search: SavedSearch, rows: QuerySet[Match], limit: int = TOP,
                       sample: int = WORD_SAMPLE) -> dict[str, Any]:
    """The words and hashtags most often found beside the search's own terms, in the newest
    `sample` results. Counted once per result, compared folded (case, accents, final sigma:
    "Αθήνα" and "ΑΘΗΝΑ" are one word), shown as most often written; stop words, numbers,
    links, handles and the search's own terms left out."""
    own = _own_words(search)
    words: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    word_forms: dict[str, Counter[str]] = {}
    tag_forms: dict[str, Counter[str]] = {}
    folded: dict[str, str] = {}  # words repeat: fold each once
    texts = rows.order_by("-published_at", "-id").values_list("result__text",
                                                               "result__hashtags")[:sample]
    seen = 0
    for text, hashtags in texts:
        seen += 1
        text = text or ""
        found: dict[str, str] = {}
        for tag in [*_HASHTAG.findall(text), *(str(t).lstrip("#") for t in hashtags or ())]:
            found.setdefault(q.fold(tag), tag.lower())
        for key, form in found.items():
            if key and key not in own:
                tags[key] += 1
                tag_forms.setdefault(key, Counter())[form] += 1
        plain = _HANDLE.sub(" ", _URL.sub(" ", text))
        keys: dict[str, str] = {}
        for token in _WORD.findall(plain.lower()):
            key = folded.get(token)
            if key is None:
                key = folded[token] = q.fold(token)
            keys.setdefault(key, token)
        for key, form in keys.items():
            if len(key) < MIN_WORD or key.isdigit() or key in STOP_WORDS or key in own:
                continue
            words[key] += 1
            word_forms.setdefault(key, Counter())[form] += 1
    return {"words": [{"word": w, "count": n} for w, n in _top(words, word_forms, limit)],
            "hashtags": [{"tag": t, "count": n} for t, n in _top(tags, tag_forms, limit)],
            "sampled": seen, "sample": sample}


def counts_per_search(workspace: Workspace, since: datetime,
                      until: datetime | None = None) -> dict[int, int]:
    """Relevant results per search of the workspace since `since` (one query)."""
    rows = Match.objects.filter(search__workspace=workspace, irrelevant=False,
                                published_at__gte=since)
    if until is not None:
        rows = rows.filter(published_at__lt=until)
    return {r["search_id"]: r["n"] for r in rows.order_by().values("search_id")
            .annotate(n=Count("id"))}


def share_of_voice(workspace: Workspace, when: Period,
                   searches: list[SavedSearch]) -> list[dict[str, Any]]:
    """Each search's share of all the searches' results in the period (brand vs competitors);
    a result two searches found counts for both."""
    counted = counts_per_search(workspace, when.start, when.end)
    total = sum(counted.get(s.pk, 0) for s in searches)
    rows = [{"search": s, "name": s.name, "count": counted.get(s.pk, 0),
             "percent": round(100 * counted.get(s.pk, 0) / total, 1) if total else 0.0}
            for s in searches]
    return sorted(rows, key=lambda r: (-r["count"], r["name"]))


def figures(search: SavedSearch, when: Period, only: Filters = Filters()) -> dict[str, Any]:
    """Everything the search page charts, for the period and filters."""
    rows = matches(search, when, only)
    counted = buckets(rows, when)
    out: dict[str, Any] = {
        "by_day": volume_by_day(counted, when),
        "by_hour": volume_by_hour(counted, when) if when.hourly else [],
        "sentiment": sentiment_share(counted),
        "authors": top_authors(rows),
    }
    out.update(words_and_hashtags(search, rows))
    out["total"] = sum(n for _d, n in out["by_day"])
    return out
