from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "keryx.inbox"
    label = "inbox"

    def ready(self) -> None:
        # The off-hours assistant answers new items right after they are stored (services
        # cannot import the assistant, which sends through services).
        from keryx.inbox import assistant, services

        if assistant.handle_new_item not in services.NEW_ITEM_HOOKS:
            services.NEW_ITEM_HOOKS.append(assistant.handle_new_item)
