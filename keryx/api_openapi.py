"""The error answers in the OpenAPI schema: ninja documents only the success codes an operation
declares, so every operation here gets, with the one error schema (keryx.api_errors), the error
codes it can answer with.

Which codes apply follows from the operation's shape: every authenticated call can be refused
(401, 403) or throttled (429); anything with a body or parameters can be malformed (400) or
invalid (422); anything that names a workspace or an object can name what does not exist or is
not the caller's (404);
state changes can conflict (409); paths that share a shape with another path answer 405.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": ERROR_SCHEMA_NAME,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable: scripts branch on it."},
                "message": {"type": "string", "description": "For people."},
                "details": {"description": "Optional, structured (per field, per channel)."},
            },
        }
    },
}

DESCRIPTIONS = {
    "400": "Malformed request (unreadable body, bad JSON, missing workspace).",
    "401": "No valid token or session.",
    "403": "Your role does not allow this, or the CSRF check failed.",
    "404": "No such object in a workspace of yours.",
    "405": "Method not allowed on this path.",
    "409": "The object is not in a state that allows this.",
    "422": "The request is not valid.",
    "429": "Too many wrong tokens from this address; see Retry-After.",
}

# Operations that change a post's or a channel's state, which another change may have overtaken.
CONFLICT_MARKERS = ("/cancel", "/retry", "/reschedule")
# Path shapes that overlap: /channels/{network} and /channels/{channel_id}.
OVERLAPPING = ("/channels/{network}", "/channels/{channel_id}")


def codes_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["400", "422"]
    if operation.get("security"):
        # Any authenticated call can name a workspace or an object that is not the caller's.
        codes += ["401", "403", "404", "429"]
    elif "{" in path:
        codes.append("404")
    if path.endswith(CONFLICT_MARKERS) or (method == "delete" and "/channels/" in path):
        codes.append("409")
    if path.endswith(OVERLAPPING):
        codes.append("405")
    return sorted(codes)


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in codes_for(path, method, operation):
                responses.setdefault(code, {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": ref}},
                })
    return schema
