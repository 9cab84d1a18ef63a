"""The benchmark's network: an aiohttp server in its own process that speaks the loopback
provider's protocol (tests/support/loopback.py: POST /posts with an Idempotency-Key, GET
/posts/by-key/KEY, GET /me) and answers every POST after a fixed delay.

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


def make_app(delay: float) -> web.Application:
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

    app = web.Application()
    app.router.add_post("/posts", create)
    app.router.add_get("/posts/by-key/{key}", by_key)
    app.router.add_get("/me", me)
    app.router.add_get("/_stats", stats)
    app.router.add_post("/_reset", reset)
    return app


async def serve(delay: float, port: int) -> None:
    runner = web.AppRunner(make_app(delay), access_log=None)
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
    args = parser.parse_args()
    asyncio.run(serve(args.delay, args.port))


if __name__ == "__main__":
    main()
