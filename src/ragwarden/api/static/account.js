// Who is signed in. `local` mode (the demo, loopback only): a user switcher whose choice goes out as
// X-Remote-User. Behind a reverse proxy or with an Entra session the browser's credentials do it.
import { errorKey, getJson, postEmpty, setRemoteUser } from "./api.js";
import { safeHref } from "./dom.js";
import { t } from "./i18n.js";
import { load, save } from "./storage.js";

const KEY = "ragwarden.user";

export class Account {
  constructor({ switcher, select, signedIn, signIn, signOut }, onUserChange) {
    Object.assign(this, { switcher, select, signedIn, signIn, signOut, onUserChange });
    signOut.addEventListener("click", () => this.signOutNow());
    this.config = { auth_modes: [], users: [], sign_in_url: null };
    this.me = null;
    this.problem = null; // message key when nobody is signed in
  }

  async init(config) {
    this.config = config;
    const users = Array.isArray(config.users) ? config.users : [];
    if (users.length) this.showSwitcher(users);
    await this.refresh();
  }

  showSwitcher(users) {
    for (const user of users) {
      const option = document.createElement("option");
      option.value = user.id;
      option.textContent = user.name || user.id;
      this.select.append(option);
    }
    const remembered = load(KEY);
    const chosen = users.some((u) => u.id === remembered) ? remembered : users[0].id;
    this.select.value = chosen;
    setRemoteUser(chosen);
    this.switcher.hidden = false;
    this.select.addEventListener("change", async () => {
      setRemoteUser(this.select.value);
      save(KEY, this.select.value);
      await this.refresh();
      this.onUserChange();
    });
  }

  /** Ends the Entra session (the cookie is HttpOnly: only the server can drop it). */
  async signOutNow() {
    try {
      await postEmpty("/auth/logout");
    } catch (error) {
      this.problem = errorKey(error);
    }
    await this.refresh();
    this.onUserChange();
  }

  async refresh() {
    try {
      this.me = await getJson("/v1/me");
      this.problem = null;
    } catch (error) {
      this.me = null;
      this.problem = errorKey(error);
    }
    this.render();
  }

  render() {
    const signInHref = safeHref(new URL(this.config.sign_in_url || "", location.href).href);
    const needsSignIn = !this.me && this.problem === "error.401" && this.config.sign_in_url && signInHref;
    this.signIn.hidden = !needsSignIn;
    if (needsSignIn) this.signIn.href = signInHref;
    // a sign-out button only for a session this page started (Entra sign-in), not for the demo
    // switcher or a reverse proxy's sign-in, which the page cannot end
    this.signOut.hidden = !(this.me && this.config.sign_in_url && this.switcher.hidden);
    // which user the page is signed in as right now (the demo switcher's id, else the principal)
    this.signedIn.dataset.user = this.me ? (this.switcher.hidden ? this.me.principal : this.select.value) : "";
    if (this.me) {
      const name = this.me.display_name || this.localName() || this.me.principal;
      this.signedIn.textContent = t("user.signedInAs", { name });
    } else {
      this.signedIn.textContent = this.problem === "error.401" ? t("user.notSignedIn") : t(this.problem || "error.other");
    }
  }

  localName() {
    const user = (this.config.users || []).find((u) => u.id === this.select.value);
    return user ? user.name : null;
  }
}
