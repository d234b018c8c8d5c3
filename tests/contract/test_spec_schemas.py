"""The OpenAPI description's schemas: what they accept and refuse, their examples, descriptions and links."""

from __future__ import annotations

import pytest
from spec_reading import (
    SPEC,
    each_operation,
    each_response,
    operation_of,
    resolved,
    validator_for,
    walk_spec,
)


def test_schemas_follow_the_contract() -> None:
    """Audience, name, channel, date, contact and envelope schemas say what the contract says."""
    schemas = SPEC["components"]["schemas"]
    audience = schemas["Audience"]
    assert set(audience["required"]) == {
        "id",
        "account_id",
        "name",
        "channel",
        "create_date",
        "update_date",
    }
    assert audience.get("additionalProperties", True) is not False
    assert audience["properties"]["contacts_count"]["minimum"] == 0
    assert schemas["Name"]["pattern"] == "^[A-Za-z0-9_-]+$"
    assert (schemas["Name"]["minLength"], schemas["Name"]["maxLength"]) == (1, 45)
    assert schemas["Channel"]["enum"] == ["SMS", "VIBER", "WHATSAPP"]
    assert schemas["Date"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
    assert schemas["ContactInput"]["required"] == ["number"]
    assert (
        resolved(schemas["ContactInput"]["properties"]["number"])["pattern"] == r"^\+[0-9]{7,15}$"
    )
    contacts = schemas["CreateAudienceRequest"]["properties"]["data"]["properties"]["contacts"]
    assert contacts["maxItems"] == 10
    assert set(schemas["ErrorItem"]["required"]) == {"code", "message"}
    assert schemas["ErrorEnvelope"]["properties"]["errors"]["minItems"] == 1
    for request in ("CreateAudienceRequest", "UpdateAudienceRequest"):
        for _, value in walk_spec(schemas[request]):
            assert not (isinstance(value, dict) and value.get("additionalProperties") is False), (
                request
            )


@pytest.mark.parametrize(
    ("pointer", "instance", "valid"),
    [
        ("/components/schemas/Date", "2026-11-26 21:07:03", True),
        ("/components/schemas/Date", "202611-26 21:07:03", False),
        ("/components/schemas/Name", "a" * 45, True),
        ("/components/schemas/Name", "a" * 46, False),
        ("/components/schemas/Name", "spring sale", False),
        ("/components/schemas/PhoneNumber", "+37455123456", True),
        ("/components/schemas/PhoneNumber", "37455123456", False),
        ("/components/schemas/AudienceId", "a" * 65, False),
        (
            "/components/schemas/UpdateAudienceRequest",
            {"data": {"name": "n", "channel": "anything"}},
            True,
        ),
        (
            "/components/schemas/CreateAudienceRequest",
            {"data": {"name": "n", "channel": "SMS", "extra": 1}, "other": True},
            True,
        ),
        (
            "/components/schemas/CreateAudienceRequest",
            {"data": {"name": "n", "channel": "Viber"}},
            False,
        ),
        (
            "/components/schemas/CreateAudienceRequest",
            {"data": {"name": "n", "channel": "SMS", "contacts": [{"number": "+3745512345"}] * 11}},
            False,
        ),
        (
            "/components/schemas/Pagination",
            {
                "number": 1,
                "size": 0,
                "total": 0,
                "links": {
                    "first": "/v1/audiences",
                    "current": "/v1/audiences",
                    "previous": None,
                    "next": None,
                },
            },
            True,
        ),
        (
            "/components/schemas/Pagination",
            {
                "number": 1,
                "size": 0,
                "total": 0,
                "links": {
                    "first": None,
                    "current": "/v1/audiences",
                    "previous": None,
                    "next": None,
                },
            },
            False,
        ),
        ("/components/schemas/ErrorEnvelope", {"errors": []}, False),
    ],
)
def test_schemas_accept_and_refuse(pointer: str, instance: object, valid: bool) -> None:
    """A few boundary values land on the side of the schema the contract puts them."""
    assert validator_for(pointer).is_valid(instance) is valid


def test_examples_validate_against_their_schemas() -> None:
    """Every media-type example and every schema example conforms to its schema."""
    checked = 0
    for key, value in walk_spec(SPEC["paths"]):
        if (
            key in {"requestBody", "200", "201", "400"}
            and isinstance(value, dict)
            and "content" in value
        ):
            media = value["content"]["application/json"]
            for example in media.get("examples", {}).values():
                validator_for(media["schema"]["$ref"].removeprefix("#")).validate(example["value"])
                checked += 1
    for name, schema in SPEC["components"]["schemas"].items():
        for example in schema.get("examples", []):
            validator_for(f"/components/schemas/{name}").validate(example)
            checked += 1
    assert checked >= 10


def test_every_part_is_described() -> None:
    """Operations, parameters, responses, schemas and their properties all carry a description."""
    for _, _, _, operation in each_operation():
        assert operation["description"].strip(), operation["operationId"]
    for name, parameter in SPEC["components"]["parameters"].items():
        assert parameter["description"].strip(), name
    for operation_id, status, response in each_response():
        assert response["description"].strip(), (operation_id, status)
    for name, schema in SPEC["components"]["schemas"].items():
        assert schema["description"].strip(), name
        for key, value in walk_spec(schema):
            if key == "properties":
                for prop, prop_schema in value.items():
                    assert prop_schema.get("description", "").strip(), (name, prop)


def test_create_links_chain_to_the_operations_that_take_an_id() -> None:
    """createAudience's 201 links get, update, delete and contacts through the new audience's id."""
    links = operation_of("createAudience")["responses"]["201"]["links"]
    assert {name: link["operationId"] for name, link in links.items()} == {
        "GetAudience": "getAudience",
        "UpdateAudience": "updateAudience",
        "DeleteAudience": "deleteAudience",
        "QueryContacts": "queryContacts",
    }
    assert all(link["parameters"] == {"id": "$response.body#/data/id"} for link in links.values())
    for operation_id in ("queryAudiences", "queryContacts"):
        description = operation_of(operation_id)["responses"]["200"]["description"]
        assert "next" in description and "previous" in description


def test_channel_spelling_is_explained() -> None:
    """The document says channels are upper case and mentions the seed's 'Viber' and 'Whatsapp'."""
    text = SPEC["info"]["description"] + SPEC["components"]["schemas"]["Channel"]["description"]
    assert "upper case" in text and "Viber" in text and "Whatsapp" in text
