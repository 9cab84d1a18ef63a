"""The benchmark's network: an aiohttp server in its own process that speaks the loopback
provider's protocol (tests/support/loopback.py: POST /posts with an Idempotency-Key, GET
/posts/by-key/KEY, GET /me) and answers every POST after a fixed delay.

For the collection benchmark (bench/collect.py) it also answers the Mastodon reads the collector
makes, each after the same delay, with bodies shaped like Mastodon's: GET
/api/v1/accounts/verify_credentials, GET /api/v1/statuses/:id and GET
/api/v1/accounts/:id/statuses. Any bearer token starting "bench-" is accepted, each with its own
budget (--rate-limit requests per --rate-window seconds, Mastodon's 300 per 5 minutes by
default): X-RateLimit-Limit/Remaining/Reset on every answer, 429 once it is spent. GET
/_mastodon_stats gives the counts (requests, refused with 429, most at once in flight).

It records, per POST, the idempotency key, when the request arrived and when the answer was
written (time.time(), the same wall clock the database uses). The benchmark reads them with
GET /_stats and clears them with POST /_reset.

    python bench/server.py --delay 0.05     # prints "PORT <n>" once listening on 127.0.0.1
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid

from aiohttp import web

TOKEN = "bench-token"
HOST = "127.0.0.1"


def make_app(delay: float, rate_limit: int = 300,
             rate_window: float = 300.0) -> web.Application:
    posts: dict[str, dict] = {}
    seen: list[tuple[str, float, float]] = []  # (key, arrived, answered)

    def authorised(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    async def create(request: web.Request) -> web.Response:
        arrived = time.time()
        payload = await request.json()
        if not authorised(request):
            return web.json_response({"error": "The access token is invalid"}, status=401)
        key = request.headers.get("Idempotency-Key", "")
        if delay:
            await asyncio.sleep(delay)
        post = posts.get(key) if key else None
        if post is None:  # a repeated key answers the first post, as Mastodon does
            remote_id = uuid.uuid4().hex[:12]
            post = {
                "id": remote_id,
                "url": f"http://{request.host}/@bench/{remote_id}",
                "text": payload.get("text", ""),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                "key": key,
            }
            posts[key or remote_id] = post
        seen.append((key, arrived, time.time()))
        return web.json_response(post)

    async def by_key(request: web.Request) -> web.Response:
        post = posts.get(request.match_info["key"])
        if post is None:
            return web.json_response({"error": "Record not found"}, status=404)
        return web.json_response(post)

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"id": "1", "handle": "bench"})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"requests": seen})

    async def reset(request: web.Request) -> web.Response:
        seen.clear()
        posts.clear()
        return web.json_response({"ok": True})

    # -- Mastodon reads (bench/collect.py) ----------------------------------------------------
    windows: dict[str, tuple[float, int]] = {}  # token -> (window start, requests in it)
    counts = {"requests": 0, "refused": 0, "in_flight": 0, "most_in_flight": 0}

    def iso(at: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(at))

    async def mastodon(request: web.Request, body: object) -> web.Response:
        counts["requests"] += 1
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if not auth.startswith("Bearer bench-"):
            return web.json_response({"error": "The access token is invalid"}, status=401)
        now = time.time()
        start, used = windows.get(token, (now, 0))
        if now - start >= rate_window:
            start, used = now, 0
        used += 1
        windows[token] = (start, used)
        headers = {"X-RateLimit-Limit": str(rate_limit),
                   "X-RateLimit-Remaining": str(max(0, rate_limit - used)),
                   "X-RateLimit-Reset": iso(start + rate_window)}
        if used > rate_limit:
            counts["refused"] += 1
            return web.json_response({"error": "Too many requests"}, status=429,
                                     headers=headers)
        counts["in_flight"] += 1
        counts["most_in_flight"] = max(counts["most_in_flight"], counts["in_flight"])
        try:
            if delay:
                await asyncio.sleep(delay)
        finally:
            counts["in_flight"] -= 1
        return web.json_response(body, headers=headers)

    def account(account_id: str) -> dict:
        number = int(account_id) if account_id.isdigit() else 0
        return {"id": account_id, "username": f"bench{account_id}",
                "acct": f"bench{account_id}", "display_name": f"Bench {account_id}",
                "locked": False, "bot": False, "created_at": "2024-01-01T00:00:00.000Z",
                "note": "", "url": f"http://{HOST}/@bench{account_id}",
                "followers_count": 1000 + number, "following_count": 50,
                "statuses_count": 120 + number, "last_status_at": "2026-12-01"}

    def status(status_id: str, created: float, account_id: str = "1") -> dict:
        number = sum(map(ord, status_id))
        return {"id": status_id, "created_at": iso(created), "in_reply_to_id": None,
                "in_reply_to_account_id": None, "sensitive": False, "spoiler_text": "",
                "visibility": "public", "language": "el",
                "uri": f"http://{HOST}/users/bench{account_id}/statuses/{status_id}",
                "url": f"http://{HOST}/@bench{account_id}/{status_id}",
                "replies_count": number % 7, "reblogs_count": number % 11,
                "favourites_count": number % 37, "quotes_count": number % 3,
                "content": f"<p>Bench status {status_id}</p>", "reblog": None,
                "account": account(account_id), "media_attachments": [], "mentions": [],
                "tags": [], "emojis": [], "card": None, "poll": None}

    async def verify_credentials(request: web.Request) -> web.Response:
        # The channel's account id is its token's suffix: bench-<account id>.
        token = request.headers.get("Authorization", "").removeprefix("Bearer bench-")
        return await mastodon(request, account(token or "1"))

    async def get_status(request: web.Request) -> web.Response:
        return await mastodon(request, status(request.match_info["id"], time.time() - 7200))

    async def account_statuses(request: web.Request) -> web.Response:
        account_id = request.match_info["id"]
        if request.query.get("max_id"):
            return await mastodon(request, [])
        now = time.time()
        # Two recent statuses published outside Keryx, then one older than the import reaches.
        page = [status(f"{account_id}0{n}", now - 3600 * (n + 3), account_id) for n in range(2)]
        page.append(status(f"{account_id}09", now - 200 * 86400, account_id))
        return await mastodon(request, page)

    async def mastodon_stats(request: web.Request) -> web.Response:
        return web.json_response(counts)

    async def mastodon_reset(request: web.Request) -> web.Response:
        windows.clear()
        counts.update(requests=0, refused=0, in_flight=0, most_in_flight=0)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/api/v1/accounts/verify_credentials", verify_credentials)
    app.router.add_get("/api/v1/statuses/{id}", get_status)
    app.router.add_get("/api/v1/accounts/{id}/statuses", account_statuses)
    app.router.add_get("/_mastodon_stats", mastodon_stats)
    app.router.add_post("/_mastodon_reset", mastodon_reset)
    app.router.add_post("/posts", create)
    app.router.add_get("/posts/by-key/{key}", by_key)
    app.router.add_get("/me", me)
    app.router.add_get("/_stats", stats)
    app.router.add_post("/_reset", reset)
    return app


async def serve(delay: float, port: int, rate_limit: int = 300,
                rate_window: float = 300.0) -> None:
    runner = web.AppRunner(make_app(delay, rate_limit, rate_window), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=300,
                        help="Mastodon reads per token per window")
    parser.add_argument("--rate-window", type=float, default=300.0, help="seconds")
    args = parser.parse_args()
    asyncio.run(serve(args.delay, args.port, args.rate_limit, args.rate_window))


if __name__ == "__main__":
    main()
