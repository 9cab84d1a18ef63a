"""Notifications in the app and by e-mail (django.core.mail.outbox): submitted, approved,
rejected, mentioned, publish failed; and invitations by e-mail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from keryx.accounts import services as accounts
from keryx.approvals import services as approvals
from keryx.approvals.models import Comment, Notification, NotificationKind
from keryx.core.models import Membership, Role
from keryx.networks.base import BadContent
from keryx.publishing.delivery import failure, write_outcomes
from keryx.publishing.models import PostTarget, TargetState
from keryx.publishing.scheduler import claim_due
from tests.approvals_support import write
from tests.support.web import signed_in

pytestmark = pytest.mark.django_db


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_submit_approve_reject_notify_in_app_and_by_mail(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = write(team, team.dora, "Please check")
    assert kinds(team.erin) == [NotificationKind.SUBMITTED]
    assert kinds(team.people.alice) == [NotificationKind.SUBMITTED]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "erin@example.com"]
    assert "asks for your approval" in mail.outbox[0].body
    assert f"/posts/{post.pk}/" in mail.outbox[0].body

    # The bell shows the unread count; reading the list and marking read clears it.
    erin = signed_in(team.erin)
    page = erin.get(reverse("dashboard")).content.decode()
    assert 'id="unread-count">1<' in page
    erin.post(reverse("approvals:notifications_read"))
    assert 'id="unread-count"' not in erin.get(reverse("dashboard")).content.decode()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(post, user=team.erin)
    assert kinds(team.dora) == [NotificationKind.APPROVED]
    assert [m.to for m in mail.outbox] == [["dora@example.com"]]

    other = write(team, team.dora, "Second")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.reject(other, user=team.erin, reason="Too long")
    assert kinds(team.dora)[0] == NotificationKind.REJECTED
    assert "Too long" in mail.outbox[0].body


def test_mentions_by_name_and_email_notify_members_only(team, django_capture_on_commit_callbacks):
    post = write(team, team.erin, "Draft idea")
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(team.erin).post(
            reverse("approvals:comment", args=[post.pk]),
            {"body": "@dora can you check? cc @alice@example.com and @bob@example.com"},
        )
    assert response.status_code == 302
    comment = Comment.objects.get()
    # bob is not in Acme: not notified, not mentioned. fiona was not sent this post.
    assert {u.email for u in comment.mentions.all()} == {"dora@example.com",
                                                         "alice@example.com"}
    assert kinds(team.people.bob) == []
    assert kinds(team.dora) == [NotificationKind.MENTIONED]
    assert {m.to[0] for m in mail.outbox} == {"dora@example.com", "alice@example.com"}
    page = signed_in(team.dora).get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "can you check?" in page
    # A viewer reads but does not comment.
    signed_in(team.people.charlie).post(reverse("approvals:comment", args=[post.pk]),
                                        {"body": "me too"})
    assert Comment.objects.count() == 1


def test_a_final_publish_failure_tells_the_author(team, django_capture_on_commit_callbacks):
    post = write(team, team.erin, "Will fail")
    target = post.targets.get()
    PostTarget.objects.filter(pk=target.pk).update(due_at=post.scheduled_at.replace(year=2020))
    [claim] = claim_due("w", ids=[target.pk])
    target = PostTarget.objects.select_related("channel").get(pk=target.pk)
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        write_outcomes([failure(claim, target, BadContent("The network refused it"),
                                actor="worker:w", now=timezone.now())])
    assert PostTarget.objects.get(pk=target.pk).state == TargetState.FAILED
    assert kinds(team.erin) == [NotificationKind.PUBLISH_FAILED]
    assert "The network refused it" in mail.outbox[0].body


def test_a_mail_server_that_fails_loses_nothing(team, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        write(team, team.dora)
    assert kinds(team.erin) == [NotificationKind.SUBMITTED]


def test_invitations_are_emailed_and_still_shown(team, django_capture_on_commit_callbacks):
    alice = signed_in(team.people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(reverse("members"), {"email": "gina@client.example",
                                                   "role": Role.CLIENT_APPROVER})
    assert response.status_code == 200
    [message] = mail.outbox
    assert message.to == ["gina@client.example"]
    from keryx.accounts.models import Invitation

    invitation = Invitation.objects.get(email="gina@client.example")
    link = accounts.invitation_link(invitation)
    assert link in message.body
    assert invitation.token in response.content.decode()  # the link stays on the page too
    assert "Acme" in message.subject
    assert Membership.objects.filter(user__email="gina@client.example").count() == 0


def test_the_dashboard_shows_what_waits_for_me(team):
    write(team, team.dora, "Needs a look")
    page = signed_in(team.erin).get(reverse("dashboard")).content.decode()
    assert 'id="waiting-for-me"' in page and "Needs a look" in page
    assert 'id="waiting-for-me"' not in signed_in(team.dora).get(
        reverse("dashboard")).content.decode()
