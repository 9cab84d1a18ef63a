"""The inbox: comments on our posts, mentions and direct messages from every channel whose
provider declares Capabilities.inbox, each stored once, classified and run through the
workspace's moderation rules before anyone sees it, answered exactly once. See docs/inbox.md."""
