// The intranet search page: wiring only. Everything shown comes from the REST API with the caller's
// own credentials; nothing is logged to the console and nothing about a query goes into a URL.
import { Account } from "./account.js";
import { Answer } from "./answer.js";
import { errorKey, getJson } from "./api.js";
import { byId, handleInPageLinks } from "./dom.js";
import { Filters } from "./filters.js";
import { fillLanguageSelect, initLanguage, onLanguageChange, t } from "./i18n.js";
import { Search } from "./search.js";

function showError(error) {
  const box = byId("error");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = t(errorKey(error));
  box.hidden = false;
}

function build() {
  const filters = new Filters(
    { sources: byId("f-source"), fileTypes: byId("f-type"), from: byId("f-from"), to: byId("f-to"), clear: byId("f-clear") },
    () => search.now(0),
  );
  const search = new Search(
    {
      input: byId("q"),
      list: byId("results"),
      status: byId("status"),
      prev: byId("prev"),
      next: byId("next"),
      pageInfo: byId("page-info"),
      region: byId("results-region"),
    },
    filters,
    showError,
  );
  const answer = new Answer({
    panel: byId("answer"),
    question: byId("answer-question"),
    text: byId("answer-text"),
    sources: byId("answer-sources"),
    citations: byId("citations"),
    status: byId("answer-status"),
    error: byId("answer-error"),
  });
  const account = new Account(
    {
      switcher: byId("switcher"),
      select: byId("user"),
      signedIn: byId("signed-in"),
      signIn: byId("sign-in"),
      signOut: byId("sign-out"),
    },
    () => {
      answer.reset(); // another person: nothing of the previous one's answer stays on screen
      search.clear();
      search.now(0);
    },
  );
  return { filters, search, answer, account };
}

function wire({ search, answer, account }) {
  const input = byId("q");
  input.addEventListener("input", () => search.schedule());
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    input.value = "";
    search.clear();
  });
  byId("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    if (!search.last || search.last.query !== question) search.now(0);
    answer.ask(question);
  });
  byId("new-conversation").addEventListener("click", () => {
    answer.reset();
    input.focus();
  });
  // keep "show in results" links true to what the list holds now
  new MutationObserver(() => answer.relink()).observe(byId("results"), { childList: true });
  onLanguageChange(() => {
    search.rerender();
    answer.render();
    account.render();
  });
  handleInPageLinks(document.body);
}

async function start() {
  initLanguage();
  fillLanguageSelect(byId("lang"));
  const parts = build();
  wire(parts);
  try {
    await parts.account.init(await getJson("/v1/ui/config"));
  } catch (error) {
    showError(error);
  }
  if (parts.search.query()) parts.search.now(0); // a value the browser restored
}

start();
