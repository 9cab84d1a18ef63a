"""API authentication, the error format, workspaces and the OpenAPI schema."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from keryx.accounts.models import ApiToken
from keryx.core.models import Membership, Role
from tests.api_support import API, Caller, error_of, mastodon_channel

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_with_json_error(people):
    response = Client().get(API + "/workspaces")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_wrong_or_revoked_token_is_401(people):
    response = Client().get(API + "/posts", headers={"Authorization": "Bearer kx_nope"})
    assert response.status_code == 401
    # A bad token on a POST is still "unauthenticated", not a CSRF complaint.
    response = Client().post(API + "/posts", "{}", content_type="application/json",
                             headers={"Authorization": "Bearer kx_nope"})
    assert response.status_code == 401

    caller = Caller(people.alice)
    ApiToken.objects.filter(user=people.alice).update(revoked_at="2020-01-01T00:00:00Z")
    assert caller.get("/workspaces").status_code == 401


def test_session_works_and_needs_csrf_for_writes(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.alice)
    assert browser.get(API + "/workspaces").status_code == 200

    body = json.dumps({"name": "Initech"})
    response = browser.post(API + "/workspaces", body, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"

    browser.get("/")  # the dashboard sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post(API + "/workspaces", body, content_type="application/json",
                            headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.content


def test_workspaces_lists_mine_with_role_and_time_zone(people):
    charlie = Caller(people.charlie)
    [acme] = charlie.get("/workspaces").json()
    assert acme == {"id": people.acme.pk, "name": "Acme", "slug": people.acme.slug,
                    "timezone": "Europe/Athens", "role": "viewer"}


def test_create_workspace_makes_me_owner(people):
    bob = Caller(people.bob)
    response = bob.post("/workspaces", {"name": "Initech", "timezone": "America/New_York"})
    assert response.status_code == 201
    created = response.json()
    assert created["role"] == "owner" and created["timezone"] == "America/New_York"
    assert Membership.objects.get(workspace_id=created["id"], user=people.bob).role == Role.OWNER
    assert {w["name"] for w in bob.get("/workspaces").json()} == {"Globex", "Initech"}


def test_create_workspace_with_unknown_time_zone_is_422(people):
    response = Caller(people.bob).post("/workspaces", {"name": "X", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error" and "Mars/Olympus" in error["message"]


def test_members_are_visible_to_members_only(people):
    members = Caller(people.charlie).get(f"/workspaces/{people.acme.pk}/members").json()
    assert {(m["email"], m["role"]) for m in members} == {
        ("alice@example.com", "owner"), ("charlie@example.com", "viewer"),
    }
    response = Caller(people.bob).get(f"/workspaces/{people.acme.pk}/members")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_malformed_json_is_400(people):
    response = Caller(people.alice).raw("post", "/posts", '{"text": "hi",', "application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_json"
    assert error["message"].startswith("Request body is not valid JSON: ")


def test_missing_fields_are_422_with_field_details(people):
    response = Caller(people.alice).post("/posts", {"text": "hello"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert {d["field"] for d in error["details"]} == {"channels"}


def test_tokens_never_appear_in_any_response(people):
    alice = Caller(people.alice)
    channel = mastodon_channel(people.acme)
    created = alice.post("/posts", {"workspace": people.acme.pk, "text": "hi",
                                    "channels": ["masto"], "draft": True})
    assert created.status_code == 201
    post_id = created.json()["id"]
    responses = [
        created,
        alice.get("/workspaces"),
        alice.get(f"/workspaces/{people.acme.pk}/members"),
        alice.get("/posts"),
        alice.get(f"/posts/{post_id}"),
        alice.post("/posts/validate", {"workspace": people.acme.pk, "text": "x" * 600,
                                       "channels": [channel.pk]}),
    ]
    for response in responses:
        text = response.content.decode()
        assert alice.token not in text
        assert "secret-masto-token" not in text
        assert "access_token" not in text


def test_openapi_schema_lists_the_endpoints():
    response = Client().get(API + "/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/workspaces", "/api/v1/workspaces/{workspace_id}/members",
                 "/api/v1/media", "/api/v1/media/{media_id}", "/api/v1/posts",
                 "/api/v1/posts/validate", "/api/v1/posts/{post_id}",
                 "/api/v1/posts/{post_id}/cancel", "/api/v1/posts/{post_id}/reschedule",
                 "/api/v1/posts/{post_id}/targets/{target_id}/retry"):
        assert path in paths, path
    assert "post" in paths["/api/v1/posts"] and "get" in paths["/api/v1/posts"]
    assert Client().get(API + "/docs").status_code == 200
