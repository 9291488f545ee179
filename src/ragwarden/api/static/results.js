// The result list: one <li> per document, a heading with the title linked to the source document.
import { el, safeHref } from "./dom.js";
import { highlight } from "./highlight.js";
import { formatDate, t, tWith } from "./i18n.js";

export function resultId(docId) {
  return `result-${docId}`;
}

function meta(result) {
  const parts = [];
  if (result.source) parts.push(el("span", { class: "source" }, result.source));
  const where = [result.department, result.path].filter(Boolean).join(" · ");
  if (where) parts.push(el("span", { class: "path" }, where));
  const date = formatDate(result.modified);
  if (date) {
    parts.push(el("span", { class: "date" }, ...tWith("results.modified", "date", dateNode(result, date))));
  }
  if (result.file_type) parts.push(el("span", { class: "type" }, result.file_type.toUpperCase()));
  if (result.section) parts.push(el("span", { class: "section" }, result.section));
  if (result.page) parts.push(el("span", { class: "page" }, t("results.page", { page: result.page })));
  return el("p", { class: "meta" }, ...parts);
}

function dateNode(result, text) {
  return el("time", { datetime: result.modified }, text);
}

function title(result, query) {
  const text = highlight(result.title || result.path || result.doc_id, query);
  const href = safeHref(result.source_uri);
  if (!href) return el("h3", { class: "result-title" }, text);
  return el("h3", { class: "result-title" }, el("a", { href, rel: "noopener noreferrer" }, text));
}

function item(result, query) {
  return el(
    "li",
    {
      class: "result",
      id: resultId(result.doc_id),
      "data-doc-id": result.doc_id,
      "data-file-type": result.file_type || "",
      "data-source": result.source || "",
    },
    title(result, query),
    meta(result),
    el("p", { class: "snippet" }, highlight(result.snippet, query)),
  );
}

export function renderResults(list, results, query) {
  list.replaceChildren(...results.map((r) => item(r, query)));
}

/** The status line for a page of results (announced politely). */
export function resultStatus(count, offset) {
  if (count === 0) return t("results.none");
  if (offset > 0) return t("results.range", { from: offset + 1, to: offset + count });
  return count === 1 ? t("results.one") : t("results.count", { count });
}
