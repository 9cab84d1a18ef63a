"""How a video file is cut for TikTok's FILE_UPLOAD transfer."""

from __future__ import annotations

import math

# Chunk rules (media transfer guide): each chunk 5–64 MB, the last may hold the trailing bytes
# (up to 128 MB); a file under 5 MB goes whole; 1–1000 chunks, sent in order;
# total_chunk_count = floor(video_size / chunk_size).
CHUNK_MIN = 5 * 1024 * 1024
CHUNK_MAX = 64 * 1024 * 1024
CHUNK_PREFERRED = 10 * 1024 * 1024
CHUNKS_MAX = 1000


def plan_chunks(size: int) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) for a file of `size` bytes, within TikTok's rules."""
    if size < CHUNK_MIN:
        return size, 1
    chunk = max(CHUNK_PREFERRED, math.ceil(size / CHUNKS_MAX))
    chunk = min(chunk, CHUNK_MAX)
    if size <= chunk:
        return size, 1
    return chunk, size // chunk


def chunk_ranges(size: int, chunk: int, count: int) -> list[tuple[int, int]]:
    """[(first_byte, last_byte)] per chunk; the last one takes the trailing bytes."""
    ranges = [(i * chunk, (i + 1) * chunk - 1) for i in range(count)]
    ranges[-1] = (ranges[-1][0], size - 1)
    return ranges
