from django.contrib.auth import views as auth_views
from django.urls import path

from keryx.accounts import security_views, views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", security_views.login_code, name="login_code"),
    path("account/reset/", security_views.PasswordResetView.as_view(), name="password_reset"),
    path("account/reset/sent/", security_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("account/reset/<uidb64>/<token>/", security_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("account/reset/done/", security_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("account/two-factor/", security_views.two_factor, name="two_factor"),
    path("account/sessions/end-all/", security_views.sign_out_everywhere,
         name="sign_out_everywhere"),
    path("members/two-factor/", security_views.workspace_two_factor,
         name="workspace_two_factor"),
    path("account/", views.preferences, name="preferences"),
    path("account/language/", views.set_language, name="set_user_language"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "members/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
