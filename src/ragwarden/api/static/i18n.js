// The page's language: the browser's, unless the person chose one (remembered in localStorage).
import { LANGUAGES, STRINGS } from "./strings.js";
import { load, save } from "./storage.js";

const KEY = "ragwarden.lang";
let current = "en";
const listeners = [];

function browserLanguage() {
  const preferred = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (base in STRINGS) return base;
  }
  return "en";
}

export function initLanguage() {
  const stored = load(KEY);
  apply(stored in STRINGS ? stored : browserLanguage());
}

export function chooseLanguage(lang) {
  if (!(lang in STRINGS)) return;
  save(KEY, lang);
  apply(lang);
}

export function language() {
  return current;
}

export function onLanguageChange(listener) {
  listeners.push(listener);
}

export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The string split around one placeholder, with a node in its place (for <time>, links). */
export function tWith(key, name, node) {
  const [before, after = ""] = (STRINGS[current][key] ?? STRINGS.en[key] ?? key).split(`{${name}}`);
  return [before, node, after];
}

export function formatDate(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(current === "de" ? "de-DE" : "en-GB", { dateStyle: "medium" }).format(date);
}

export function formatNumber(n) {
  return new Intl.NumberFormat(current === "de" ? "de-DE" : "en-GB").format(n);
}

function apply(lang) {
  current = lang;
  document.documentElement.lang = lang;
  document.title = t("page.title");
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  // data-i18n-attr="placeholder:search.placeholder;aria-label:paging.label"
  for (const el of document.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  for (const listener of listeners) listener(lang);
}

export function fillLanguageSelect(select) {
  for (const [code, name] of Object.entries(LANGUAGES)) {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = name;
    option.lang = code;
    select.append(option);
  }
  select.value = current;
  select.addEventListener("change", () => chooseLanguage(select.value));
}
