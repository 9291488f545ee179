"""The AI notice in the answer API (EU AI Act Art. 50): a generated answer says ``"ai_generated": true`` and
the model's name, in the JSON body and in the stream's final ``done`` event; the demo's extractive quotes say
``"quotes_selected_automatically": true`` and are not called AI-generated; search results carry neither."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ragwarden.api.app import create_app
from ragwarden.testing.fakes.chat import ScriptedChatModel
from tests.demo_fixtures import PROXY_SECRET, Demo

QUESTION = "What is the phone extension of the IT helpdesk?"
REPLY = "The IT helpdesk can be reached by phone at extension 4242 [1]."


def headers(user: str, **extra: str) -> dict[str, str]:
    return {"X-Remote-User": user, "X-Proxy-Secret": PROXY_SECRET, **extra}


@pytest.fixture(scope="module")
def generating(demo: Demo) -> Iterator[TestClient]:
    """The demo's index and audit behind a scripted model, answering generatively."""
    settings = demo.services.settings.model_copy(update={"answer_mode": "generative"})
    services = dataclasses.replace(demo.services, settings=settings,
                                   extras={"chat_model": ScriptedChatModel(reply=REPLY)})
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def extractive(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.services), raise_server_exceptions=False) as c:
        yield c


def _done(client: TestClient) -> dict:  # type: ignore[type-arg]
    with client.stream("POST", "/v1/answer", json={"question": QUESTION},
                       headers=headers("gesa", Accept="text/event-stream")) as r:
        assert r.status_code == 200
        events = [block for block in r.read().decode().split("\n\n") if block]
    assert events[-1].startswith("event: done\n")
    done: dict = json.loads(events[-1].split("\n", 1)[1].removeprefix("data: "))  # type: ignore[type-arg]
    return done


def test_a_generated_answer_is_marked_ai_generated_with_the_model_in_json_and_stream(generating: TestClient) -> None:
    r = generating.post("/v1/answer", json={"question": QUESTION}, headers=headers("gesa"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "generated" and body["fallback"] is False, body
    assert body["ai_generated"] is True and body["model"] == "scripted"
    assert body["quotes_selected_automatically"] is False
    done = _done(generating)
    assert done["ai_generated"] is True and done["model"] == "scripted"


def test_extractive_quotes_are_marked_as_selected_not_as_ai_generated(extractive: TestClient) -> None:
    for body in (extractive.post("/v1/answer", json={"question": QUESTION}, headers=headers("gesa")).json(),
                 _done(extractive)):
        assert body["mode"] == "extractive" and body["found"] is True
        assert body["ai_generated"] is False and body["model"] is None
        assert body["quotes_selected_automatically"] is True


def test_search_results_are_not_marked(extractive: TestClient) -> None:
    r = extractive.post("/v1/search", json={"query": "helpdesk phone"}, headers=headers("gesa"))
    assert r.status_code == 200 and r.json()["results"]
    assert "ai_generated" not in r.text and "quotes_selected_automatically" not in r.text
