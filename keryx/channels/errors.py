"""The one error channel actions raise for bad input or a refused connection."""

from __future__ import annotations


class ChannelError(Exception):
    """Bad input or a refused connection, with a message fit to show the user."""

    def __init__(self, message: str, code: str = "channel_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
