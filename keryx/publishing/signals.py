"""What publishing tells the apps above it, without importing them.

targets_published(target_ids=[...]): sent after the targets' `published` state is written
(analytics starts measuring them). Sent with send_robust: a receiver's failure is logged by the
receiver's own app and never touches the publish.
"""

from __future__ import annotations

from django.dispatch import Signal

targets_published = Signal()
