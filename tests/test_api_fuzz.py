"""Fuzzing the API against its own OpenAPI schema (schemathesis), in process over WSGI: no
socket is opened. Every operation, with a valid token of a workspace owner: no 5xx, every status
is documented, every answer matches its schema and content type.

schemathesis is a test-only dependency (`pip install -e .[fuzz]`); without it the test skips.
KERYX_FUZZ_EXAMPLES sets the examples per operation: small in the ordinary run, large with
`make fuzz`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from keryx.accounts.models import ApiToken
from keryx.core.services import create_workspace
from tests.api_support import mastodon_channel

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("KERYX_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _schema() -> Any:
    from keryx.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.mark.django_db(transaction=True)
def test_every_operation_survives_fuzzing(django_user_model):
    user = django_user_model.objects.create_user("fuzz@example.com", "fuzz@example.com")
    workspace = create_workspace(user, "Fuzz")
    mastodon_channel(workspace)
    _token, raw = ApiToken.issue(user, "fuzz")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = _schema()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except BaseExceptionGroup as exc:  # one operation's failure should not hide the others'
            failures.append(f"{operation.method.upper()} {operation.path}: {exc!r}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
