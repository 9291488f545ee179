"""What the bot says: the answer as an Adaptive Card, and its short texts in German and English.

The answer and every title are ``TextRun``s, which Teams renders literally: a document that smuggles
Markdown or a link into the model's answer cannot turn into something clickable. Sources link only to
``http``/``https`` addresses; anything else (a file path, an SMB address) is shown as text.

An extractive answer (or the quotes that replaced a generated answer the sources did not support) is
one block per quoted sentence: the sentence in quotation marks, then the ``[n]`` of its source below.
Every answer opens with where its text comes from: "AI-generated" (with the model) or "quotes selected
automatically" (EU AI Act Art. 50); the "not found" reply and the short texts carry no label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from microsoft_agents.activity import Activity, ActivityTypes, Attachment

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"  # what Teams renders on desktop, web and mobile

TEXTS: dict[str, dict[str, str]] = {
    "not_found": {
        "en": "I could not find this in the documents you can access.",
        "de": "Dazu habe ich in den Dokumenten, auf die Sie Zugriff haben, nichts gefunden.",
    },
    "not_found_group": {
        "en": "I could not find this in the documents that you and this whole team can access.",
        "de": "Dazu habe ich in den Dokumenten, auf die Sie und das ganze Team Zugriff haben, nichts gefunden.",
    },
    "answered_privately": {
        "en": "I have sent you my answer in our 1:1 chat, so that only you read it.",
        "de": "Ich habe Ihnen meine Antwort im 1:1-Chat geschickt, damit nur Sie sie lesen.",
    },
    "ask_private": {
        "en": "I cannot answer this here: everyone in this conversation would read the answer. "
        "Please ask me in a 1:1 chat.",
        "de": "Hier kann ich das nicht beantworten, weil alle in dieser Unterhaltung die Antwort lesen würden. "
        "Bitte fragen Sie mich im 1:1-Chat.",
    },
    "unknown_user": {
        "en": "Sorry, I cannot identify your account in the company directory, so I cannot search any "
        "documents for you.",
        "de": "Leider kann ich Ihr Konto im Unternehmensverzeichnis nicht zuordnen und daher keine "
        "Dokumente für Sie durchsuchen.",
    },
    "directory_down": {
        "en": "The company directory is not reachable right now, so I cannot check what you may read. "
        "Please try again in a few minutes.",
        "de": "Das Unternehmensverzeichnis ist gerade nicht erreichbar, daher kann ich Ihre Berechtigungen "
        "nicht prüfen. Bitte versuchen Sie es in einigen Minuten erneut.",
    },
    "empty": {
        "en": "Please type your question as text, e.g. “How many vacation days can I carry over?”",
        "de": "Bitte schreiben Sie Ihre Frage als Text, z. B. „Wie viele Urlaubstage kann ich übertragen?“",
    },
    "attachments_only": {
        "en": "I can only answer questions written as text; I do not read attached files or images.",
        "de": "Ich beantworte nur Fragen, die als Text geschrieben sind; angehängte Dateien oder Bilder lese "
        "ich nicht.",
    },
    "too_long": {
        "en": "Your question is too long (at most {limit} characters). Please shorten it.",
        "de": "Ihre Frage ist zu lang (höchstens {limit} Zeichen). Bitte kürzen Sie sie.",
    },
    "failed": {
        "en": "Sorry, something went wrong while answering. Please try again.",
        "de": "Leider ist beim Beantworten ein Fehler aufgetreten. Bitte versuchen Sie es erneut.",
    },
    "sources": {"en": "Sources", "de": "Quellen"},
    "ai_generated": {
        "en": "AI-generated answer ({model}): check it against the sources.",
        "de": "KI-generierte Antwort ({model}): bitte anhand der Quellen prüfen.",
    },
    "quotes_selected": {
        "en": "Quotes selected automatically from your documents (not AI-generated text).",
        "de": "Automatisch ausgewählte Zitate aus Ihren Dokumenten (kein KI-generierter Text).",
    },
    "quotes": {"en": "Quotes from your documents", "de": "Zitate aus Ihren Dokumenten"},
    "fallback": {
        "en": "The generated answer could not be checked against the sources; showing the quotes instead.",
        "de": "Die erzeugte Antwort ließ sich nicht anhand der Quellen prüfen; stattdessen sehen Sie die Zitate.",
    },
    "dropped_one": {
        "en": "1 sentence without support in the sources was left out.",
        "de": "1 Satz ohne Beleg in den Quellen wurde weggelassen.",
    },
    "dropped": {
        "en": "{count} sentences without support in the sources were left out.",
        "de": "{count} Sätze ohne Beleg in den Quellen wurden weggelassen.",
    },
    "unavailable": {
        "en": "Some sources are temporarily unavailable while their permissions are re-checked; this answer "
        "may be incomplete.",
        "de": "Einige Quellen sind vorübergehend nicht verfügbar, bis ihre Berechtigungen neu geprüft sind; "
        "diese Antwort ist womöglich unvollständig.",
    },
}


def text(key: str, language: str, **values: Any) -> str:
    by_language = TEXTS[key]
    return by_language.get(language, by_language["en"]).format(**values)


def message(body: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=body, text_format="plain")


def answer_card(result: Mapping[str, Any], group: bool) -> dict[str, Any]:
    """The card for ``AnswerResult.to_dict()``: the answer, then its sources. ``group``: it is posted in
    a team channel (answered from what the whole team may see)."""
    language = str(result.get("language") or "en")
    notice = [_rich([_run(text("unavailable", language), subtle=True)])] if result.get("sources_unavailable") else []
    if not result.get("found"):
        key = "not_found_group" if group else "not_found"
        return _card([_rich([_run(text(key, language))]), *notice])
    citations: Sequence[Mapping[str, Any]] = result.get("citations") or ()
    sentences = _quotable(result)
    body: list[dict[str, Any]]
    if sentences:
        numbers = {n for c in citations if (n := _number(c.get("number"))) is not None}
        body = [_rich([_run(text("fallback", language), subtle=True)])] if result.get("fallback") is True else []
        body.append(_rich([_run(text("quotes", language), weight="Bolder")]))
        body.extend(_quote(s, language, numbers) for s in sentences)
    else:
        body = [_rich([_run(str(result.get("answer", "")))])]
        dropped = _number(result.get("dropped_sentences")) or 0
        if dropped > 0:
            note = text("dropped_one", language) if dropped == 1 else text("dropped", language, count=dropped)
            body.append(_rich([_run(note, subtle=True)], spacing="Small"))
    if citations:
        body.append(_rich([_run(text("sources", language), weight="Bolder")], separator=True))
        body.extend(_source(c) for c in citations)
    return _card([_origin(result, language), *body, *notice])


def _origin(result: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The label above the answer (EU AI Act Art. 50): generated text is marked AI-generated with its model;
    quotes are marked as chosen automatically, since they are the documents' own sentences."""
    if result.get("ai_generated") is True or (result.get("ai_generated") is None and not _quotable(result)):
        label = text("ai_generated", language, model=str(result.get("model") or result.get("model_id") or "LLM"))
    else:
        label = text("quotes_selected", language)
    return _rich([_run(label, subtle=True, italic=True)])


def card_activity(card: dict[str, Any]) -> Activity:
    return Activity(type=ActivityTypes.message, attachments=[Attachment(content_type=ADAPTIVE_CARD, content=card)])


def safe_link(uri: str) -> str | None:
    """The address a source may link to: absolute http(s) only."""
    try:
        parts = urlsplit(uri.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in uri for c in "\r\n\t "):
        return uri.strip()
    return None


def shown_location(uri: str) -> str:
    """A source that cannot be linked, as text: a file path, or the address as it is."""
    parts = urlsplit(uri)
    return unquote(parts.path) if parts.scheme == "file" else uri


def _source(citation: Mapping[str, Any]) -> dict[str, Any]:
    uri = str(citation.get("source_uri") or "")
    title = str(citation.get("title") or uri or "?")
    runs = [_run(f"[{citation.get('number', '?')}] ")]
    link = safe_link(uri)
    if link:
        runs.append({**_run(title), "selectAction": {"type": "Action.OpenUrl", "url": link, "title": title}})
    else:
        runs.append(_run(title))
        if uri:
            runs.append(_run(f" — {shown_location(uri)}", subtle=True))
    return _rich(runs, spacing="Small")


QUOTE_MARKS = {"de": ("\u201e", "\u201c"), "en": ("\u201c", "\u201d")}  # „…“ and “…”


def _quotable(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The sentences to quote: an extractive answer's, or those that replaced a generated one (an
    absent ``mode`` is a generated answer, as servers before the two modes send)."""
    if not (result.get("mode") == "extractive" or result.get("fallback") is True):
        return []
    sentences = result.get("sentences")
    if not isinstance(sentences, Sequence) or isinstance(sentences, str):
        return []
    return [s for s in sentences if isinstance(s, Mapping) and str(s.get("text") or "").strip()]


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _quote(sentence: Mapping[str, Any], language: str, numbers: set[int]) -> dict[str, Any]:
    """One quoted sentence, in the answer language's quotation marks, then the [n] of its source (only
    a number listed under the sources). The sentence is a TextRun: its Markdown or links stay text."""
    opening, closing = QUOTE_MARKS.get(language, QUOTE_MARKS["en"])
    runs = [_run(f"{opening}{str(sentence.get('text') or '').strip()}{closing}", italic=True)]
    number = _number(sentence.get("citation"))
    if number is not None and number in numbers:
        runs.append(_run(f" [{number}]"))
    return _rich(runs, spacing="Small")


def _card(body: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }


def _rich(runs: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": runs, **extra}


def _run(value: str, *, weight: str | None = None, subtle: bool = False, italic: bool = False) -> dict[str, Any]:
    run: dict[str, Any] = {"type": "TextRun", "text": value}
    if weight:
        run["weight"] = weight
    if subtle:
        run["isSubtle"] = True
    if italic:
        run["italic"] = True
    return run
