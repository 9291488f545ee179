// Filters: source and file type (options and counts from the server's facets over the caller's own
// documents for the query), modified date range. A change runs the search again from the first page.
import { el } from "./dom.js";
import { formatNumber } from "./i18n.js";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class Filters {
  constructor({ sources, fileTypes, from, to, clear }, onChange) {
    this.groups = {
      source: { box: sources, selected: new Set(), prefix: "f-source" },
      file_type: { box: fileTypes, selected: new Set(), prefix: "f-type" },
    };
    this.from = from;
    this.to = to;
    this.onChange = onChange;
    for (const input of [from, to]) input.addEventListener("change", () => this.onChange());
    clear.addEventListener("click", () => this.clear());
  }

  /** The request's "filters" object, or null when nothing is chosen. */
  value() {
    const filters = {};
    if (this.groups.source.selected.size) filters.sources = [...this.groups.source.selected];
    if (this.groups.file_type.selected.size) filters.file_types = [...this.groups.file_type.selected];
    if (DATE.test(this.from.value)) filters.modified_from = this.from.value;
    if (DATE.test(this.to.value)) filters.modified_to = this.to.value;
    return Object.keys(filters).length ? filters : null;
  }

  clear() {
    for (const group of Object.values(this.groups)) group.selected.clear();
    this.from.value = "";
    this.to.value = "";
    for (const box of this.boxes()) box.checked = false;
    this.onChange();
  }

  boxes() {
    return Object.values(this.groups).flatMap((g) => [...g.box.querySelectorAll("input[type=checkbox]")]);
  }

  /** Shows the facets of the latest response; a chosen option stays visible even at count 0. */
  update(facets) {
    for (const [name, group] of Object.entries(this.groups)) this.renderGroup(group, (facets || {})[name] || {});
  }

  renderGroup(group, counts) {
    const names = new Set([...Object.keys(counts), ...group.selected]);
    const ordered = [...names].sort((a, b) => a.localeCompare(b));
    const focused = document.activeElement;
    group.box.replaceChildren(...ordered.map((name, i) => this.option(group, name, counts[name] || 0, i)));
    // Re-rendering must not take the keyboard focus away from the option someone is on.
    if (focused && focused.dataset && focused.dataset.facet) {
      const same = [...group.box.querySelectorAll("input")].find((x) => x.dataset.facet === focused.dataset.facet);
      if (same && same.value === focused.value) same.focus();
    }
  }

  option(group, name, count, index) {
    const id = `${group.prefix}-${index}`;
    const input = el("input", { type: "checkbox", id, value: name, "data-facet": group.prefix });
    input.checked = group.selected.has(name);
    input.addEventListener("change", () => {
      if (input.checked) group.selected.add(name);
      else group.selected.delete(name);
      this.onChange();
    });
    const label = el("label", { for: id }, name, " ", el("span", { class: "count" }, `(${formatNumber(count)})`));
    return el("div", { class: "option" }, input, label);
  }
}
