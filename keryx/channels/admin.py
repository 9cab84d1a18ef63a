from django.contrib import admin

from keryx.channels.models import Channel, OAuthApp, OAuthState


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    # `credentials` is not editable, so it never appears in a form or a list here.
    list_display = ("name", "network", "handle", "workspace", "status", "created_at")
    list_filter = ("network", "status")
    search_fields = ("name", "handle")
    readonly_fields = ("remote_id", "created_at", "updated_at")


@admin.register(OAuthApp)
class OAuthAppAdmin(admin.ModelAdmin):
    list_display = ("network", "server_url", "redirect_uri", "created_at")


@admin.register(OAuthState)
class OAuthStateAdmin(admin.ModelAdmin):
    list_display = ("network", "server_url", "workspace", "user", "created_at")
    exclude = ("state",)
