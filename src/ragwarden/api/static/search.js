// Results as you type: debounced, the previous request aborted, only the latest response rendered.
import { postJson } from "./api.js";
import { renderResults, resultStatus } from "./results.js";
import { t } from "./i18n.js";

// Short enough that keystroke → rendered stays within 150 ms (p95) with a ~50 ms server; long
// enough that a fast typist does not send a request per key.
export const DEBOUNCE_MS = 60;
export const PAGE_SIZE = 10;
const MIN_CHARS = 2;

export class Search {
  constructor({ input, list, status, prev, next, pageInfo, region }, filters, onError) {
    Object.assign(this, { input, list, status, prev, next, pageInfo, region, filters, onError });
    this.timer = 0;
    this.seq = 0;
    this.controller = null;
    this.last = null; // {query, body}: re-rendered when the language changes
    prev.addEventListener("click", () => this.page(-1));
    next.addEventListener("click", () => this.page(1));
  }

  query() {
    return this.input.value.trim();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(0), DEBOUNCE_MS);
  }

  now(offset = 0) {
    clearTimeout(this.timer);
    return this.run(offset);
  }

  page(direction) {
    if (!this.last) return;
    this.now(Math.max(0, this.last.body.offset + direction * PAGE_SIZE));
  }

  clear() {
    clearTimeout(this.timer);
    this.seq += 1;
    if (this.controller) this.controller.abort();
    this.last = null;
    this.list.replaceChildren();
    this.filters.update({});
    this.showPaging(null);
    this.status.textContent = "";
    this.region.setAttribute("aria-busy", "false");
  }

  request(query, offset) {
    const body = { query, limit: PAGE_SIZE };
    if (offset) body.offset = offset;
    const filters = this.filters.value();
    if (filters) body.filters = filters;
    return body;
  }

  async run(offset) {
    const query = this.query();
    if (query.length < MIN_CHARS) {
      this.clear();
      if (query) this.status.textContent = t("results.prompt");
      return;
    }
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    const seq = ++this.seq;
    this.controller = controller;
    this.region.setAttribute("aria-busy", "true");
    try {
      const sent = performance.now();
      const { body, serverMs } = await postJson("/v1/search", this.request(query, offset), {
        signal: controller.signal,
      });
      if (seq !== this.seq) return; // a newer request owns the list
      const timing = { server_ms: serverMs, sent, received: performance.now() };
      this.render(query, { offset, has_more: false, ...body }, timing);
    } catch (error) {
      if (seq !== this.seq || error.name === "AbortError") return;
      this.region.setAttribute("aria-busy", "false");
      this.onError(error);
    }
  }

  render(query, body, timing) {
    this.last = { query, body };
    renderResults(this.list, body.results, query);
    this.filters.update(body.facets);
    this.showPaging(body);
    this.status.textContent = statusText(body);
    this.region.setAttribute("aria-busy", "false");
    this.onError(null);
    markRendered({ query, offset: body.offset, ...timing });
  }

  rerender() {
    if (!this.last) return;
    const { query, body } = this.last;
    renderResults(this.list, body.results, query);
    this.filters.update(body.facets);
    this.showPaging(body);
    this.status.textContent = statusText(body);
  }

  showPaging(body) {
    const offset = body ? body.offset : 0;
    this.prev.disabled = !body || offset === 0;
    this.next.disabled = !body || !body.has_more;
    this.pageInfo.textContent = body && (offset > 0 || body.has_more) ? t("paging.page", { page: offset / PAGE_SIZE + 1 }) : "";
    // a button that just became disabled cannot keep the focus: hand it to the list's heading
    if (document.activeElement === this.prev || document.activeElement === this.next) {
      if (document.activeElement.disabled) this.region.querySelector("h2").focus();
    }
  }
}

/**
 * A performance mark once the results are on screen (the frame after the DOM change has painted):
 * `ragwarden bench page` measures keystroke → this mark. The detail holds the query, the server's
 * own time (Server-Timing) and when the request went out and its answer came back.
 */
function markRendered(detail) {
  requestAnimationFrame(() =>
    setTimeout(() => {
      performance.clearMarks("ragwarden:results");
      performance.mark("ragwarden:results", { detail });
    }, 0),
  );
}

// withheld sources (permissions too old to trust) are said, never named
function statusText(body) {
  const count = resultStatus(body.results.length, body.offset);
  return body.sources_unavailable ? `${count} ${t("results.partial")}` : count;
}
