"""What LinkedIn takes in a post: text length, images, one video or one document."""

from __future__ import annotations

# 3,000 is the figure third parties quote; LinkedIn's error (COMMENTARY_LENGTH_TOO_LONG) states
# none and the counting is undocumented: we count UTF-16 code units, the strictest reading.
TEXT_LIMIT = 3000
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
MAX_IMAGES = 20
MAX_IMAGE_PIXELS = 36_152_320  # "fewer than 36,152,320 pixels" (Images API)
# LinkedIn documents no image byte limit; 5 MB is the figure third parties give.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
VIDEO_TYPES = frozenset({"video/mp4"})
MIN_VIDEO_BYTES, MAX_VIDEO_BYTES = 75 * 1024, 500 * 1024 * 1024
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 3, 30 * 60
DOCUMENT_TYPES = frozenset({
    "application/pdf",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
})
MAX_DOCUMENT_BYTES = 100 * 1024 * 1024  # third-party figure (300 pages is not checked here)
