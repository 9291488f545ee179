// The answer panel: the local model's answer streamed token by token, then rendered with its
// numbered citations linked to the sources and to the matching results. An extractive answer (or one
// that replaced a generated answer the sources did not support) is shown as quotations, each with its
// source; document text only ever becomes text nodes. Every answer says where its text comes from (EU AI
// Act Art. 50): "AI-generated" with the model, or "quotes selected automatically"; results carry no label.
import { ApiError, errorKey, postEvents } from "./api.js";
import { el, safeHref } from "./dom.js";
import { t } from "./i18n.js";
import { resultId } from "./results.js";

const MARKER = /\[(\d{1,3})\]/g;

export class Answer {
  constructor({ panel, question, text, sources, citations, status, error }) {
    Object.assign(this, { panel, questionEl: question, text, sources, citations, status, error });
    this.conversationId = null;
    this.controller = null;
    this.last = null; // {question, done} for re-rendering in another language
    this.origin = null; // the "AI-generated" / "quotes selected automatically" label, made on first use
  }

  reset() {
    if (this.controller) this.controller.abort();
    this.conversationId = null;
    this.last = null;
    this.panel.hidden = true;
    this.panel.dataset.state = "idle";
    this.showOrigin(null);
    this.text.replaceChildren();
    this.citations.replaceChildren();
    this.status.textContent = "";
    this.error.hidden = true;
  }

  async ask(question) {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.start(question);
    const live = document.createTextNode("");
    this.text.replaceChildren(live);
    const body = { question };
    if (this.conversationId) body.conversation_id = this.conversationId;
    try {
      await postEvents("/v1/answer", body, {
        signal: controller.signal,
        onEvent: (name, data) => this.event(name, data, live, question),
      });
    } catch (error) {
      if (controller.signal.aborted) return;
      this.fail(errorKey(error));
    }
  }

  start(question) {
    this.panel.hidden = false;
    this.panel.dataset.state = "streaming";
    this.questionEl.textContent = t("answer.question", { question });
    this.citations.replaceChildren();
    this.sources.hidden = true;
    this.error.hidden = true;
    this.showOrigin(null);
    this.text.setAttribute("aria-busy", "true");
    this.status.textContent = t("answer.writing");
  }

  event(name, data, live, question) {
    if (name === "token") {
      if (this.originEl().hidden) this.showOrigin({ kind: "ai-generated", key: "answer.aiWriting" });
      live.appendData(String(data.text ?? ""));
    }
    else if (name === "done") this.done(question, data);
    else if (name === "error") this.fail(errorKey(new ApiError(Number(data.status) || 500, "")));
  }

  done(question, data) {
    this.conversationId = data.conversation_id || this.conversationId;
    this.last = { question, data };
    this.render();
    this.panel.dataset.state = "done";
    this.text.setAttribute("aria-busy", "false");
    const cited = (data.citations || []).filter((c) => c.cited).length;
    this.status.textContent = cited ? t("answer.ready", { count: cited }) : t("answer.readyNone");
  }

  fail(key) {
    this.panel.dataset.state = "error";
    this.text.setAttribute("aria-busy", "false");
    this.status.textContent = "";
    this.error.textContent = t(key);
    this.error.hidden = false;
  }

  render() {
    if (!this.last) return;
    const { question, data } = this.last;
    this.questionEl.textContent = t("answer.question", { question });
    this.showOrigin(origin(data));
    this.text.replaceChildren(...answerBody(data, data.citations || []));
    this.citations.replaceChildren(...(data.citations || []).map(citation));
    this.sources.hidden = !(data.citations || []).length;
  }

  /** The label above the answer text (a sibling of it, so the answer's own text stays as it is). */
  originEl() {
    if (!this.origin) {
      this.origin = el("p", { class: "ai-notice", id: "answer-origin" });
      this.origin.hidden = true;
      this.text.before(this.origin);
    }
    return this.origin;
  }

  showOrigin(found) {
    const label = this.originEl();
    label.hidden = !found;
    label.dataset.origin = found ? found.kind : "";
    label.textContent = found ? t(found.key, found.values) : "";
  }

  /** Results change as people type: point each citation at its result if the list holds it now. */
  relink() {
    for (const item of this.citations.querySelectorAll("li[data-doc-id]")) {
      const link = item.querySelector("a.to-result");
      const present = !!document.getElementById(resultId(item.dataset.docId));
      if (link) link.hidden = !present;
    }
  }
}

/** Where the answer's text comes from (a label key and its values); none for the "not found" reply. */
function origin(data) {
  if (data.found === false) return null;
  if (data.ai_generated === true || (data.ai_generated === undefined && !quotable(data).length)) {
    return { kind: "ai-generated", key: "answer.aiGenerated", values: { model: String(data.model || "LLM") } };
  }
  return { kind: "quotes-selected", key: "answer.quotesSelected", values: {} };
}

/** What the panel shows for a complete answer: quotations, or the answer text as today. */
function answerBody(data, citations) {
  const sentences = quotable(data);
  if (sentences.length) {
    const note = data.fallback === true ? el("p", { class: "answer-note" }, t("answer.fallback")) : null;
    return [note, ...quotes(sentences, citations)].filter(Boolean);
  }
  const numbers = new Set(citations.map((c) => Number(c.number)));
  const nodes = answerNodes(String(data.answer ?? ""), numbers);
  const dropped = Math.trunc(Number(data.dropped_sentences) || 0);
  if (dropped > 0) {
    const note = dropped === 1 ? t("answer.droppedOne") : t("answer.dropped", { count: dropped });
    nodes.push(el("p", { class: "answer-note muted" }, note));
  }
  return nodes;
}

/** The sentences to quote: an extractive answer's (absent mode: generated, as older servers send). */
function quotable(data) {
  const extractive = (data.mode || "generated") === "extractive" || data.fallback === true;
  if (!extractive || data.found === false || !Array.isArray(data.sentences)) return [];
  return data.sentences.filter((s) => s && typeof s === "object" && String(s.text ?? "").trim());
}

/** A label, then one quotation per sentence, each followed by the source it is quoted from. */
function quotes(sentences, citations) {
  const byNumber = new Map(citations.map((c) => [Number(c.number), c]));
  return [
    el("p", { class: "quotes-label" }, t("answer.quotes")),
    ...sentences.map((s) => {
      const source = s.citation === null || s.citation === undefined ? null : byNumber.get(Number(s.citation));
      return el(
        "figure",
        { class: "quote" },
        el("blockquote", {}, String(s.text).trim()),
        source ? el("figcaption", {}, ...quoteSource(source)) : null,
      );
    }),
  ];
}

/** "[n] Title": the number links to the listed source, the title to the document as citations do. */
function quoteSource(c) {
  const n = Number(c.number);
  const href = safeHref(c.source_uri);
  const titleText = c.title || c.doc_id;
  return [
    el("a", { href: `#cite-${n}`, class: "quote-ref", "aria-label": t("answer.sourceRef", { number: n }) }, `[${n}]`),
    " ",
    href ? el("a", { href, rel: "noopener noreferrer", class: "quote-source" }, titleText) : el("span", {}, titleText),
  ];
}

/** The answer text with each [n] that names a citation turned into a link to it. */
function answerNodes(answer, numbers) {
  const nodes = [];
  let last = 0;
  for (const match of answer.matchAll(MARKER)) {
    const n = Number(match[1]);
    if (!numbers.has(n)) continue;
    nodes.push(answer.slice(last, match.index));
    nodes.push(el("a", { href: `#cite-${n}`, class: "cite-ref", "aria-label": t("answer.sourceRef", { number: n }) }, match[0]));
    last = match.index + match[0].length;
  }
  nodes.push(answer.slice(last));
  return nodes;
}

function citation(c) {
  const href = safeHref(c.source_uri);
  const titleText = c.title || c.doc_id;
  const where = [c.section, c.page ? t("results.page", { page: c.page }) : ""].filter(Boolean).join(", ");
  const toResult = el("a", { href: `#${resultId(c.doc_id)}`, class: "to-result" }, t("answer.showInResults"));
  toResult.hidden = !document.getElementById(resultId(c.doc_id));
  return el(
    "li",
    { id: `cite-${c.number}`, value: c.number, "data-doc-id": c.doc_id, class: c.cited ? "cited" : "uncited" },
    href ? el("a", { href, rel: "noopener noreferrer", class: "to-source" }, titleText) : el("span", {}, titleText),
    where ? el("span", { class: "where" }, ` (${where})`) : null,
    c.cited ? null : el("span", { class: "note" }, ` · ${t("answer.notCited")}`),
    " ",
    toResult,
    c.snippet ? el("p", { class: "cite-snippet" }, c.snippet) : null,
  );
}
