// Finding Friends: the council embed widget.
//
//   <script src="https://SERVICE/embed/widget.js" defer></script>
//   <friends-search key="ffe_..."></friends-search>
//
// A custom element with its own shadow DOM: no framework, no cookies, no
// requests to anyone but the service this script came from, no eval, no
// inline styles or handlers (its styles are a constructed stylesheet), and
// no innerHTML: every piece of text is set with textContent. It works under
// a host page's strict Content-Security-Policy that allows this service in
// script-src and connect-src.
(() => {
  "use strict";
  const LABELS = /*LABELS*/ { interests: {}, goals: {}, availability: {} };
  const script = document.currentScript;
  const SERVICE = script && script.src ? new URL(script.src).origin : window.location.origin;

  const AGE_WORDS = {
    "16-24": "aged 16 to 24",
    "25-34": "aged 25 to 34",
    "35-44": "aged 35 to 44",
    "45-54": "aged 45 to 54",
    "55-64": "aged 55 to 64",
    "65+": "aged 65 or over",
  };

  const CSS = `
    :host { display: block; font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif;
            font-size: 1.125rem; line-height: 1.5; color: #0b0c0c; }
    * { box-sizing: border-box; }
    h2 { font-size: 1.5rem; margin: 0 0 0.5rem; }
    h3 { font-size: 1.25rem; margin: 0 0 0.25rem; }
    h4 { font-size: 1.25rem; margin: 0 0 0.5rem; }
    .ask { margin: 0.75rem 0 0; padding: 0.75rem 0 0; border-top: 2px solid #505a5f; }
    p { margin: 0 0 0.75rem; max-width: 40em; }
    form { margin: 0 0 1rem; }
    .field { margin: 0 0 0.75rem; }
    label { display: block; font-weight: 700; margin: 0 0 0.25rem; }
    .hint { display: block; font-weight: 400; color: #3b3b3b; }
    input, select, textarea { font: inherit; min-height: 44px; width: 100%; max-width: 28em;
            padding: 0.4rem 0.5rem; border: 2px solid #0b0c0c; border-radius: 0; background: #fff;
            color: #0b0c0c; }
    textarea { min-height: 6em; }
    button { font: inherit; font-weight: 700; min-height: 44px; min-width: 44px; padding: 0.5rem 1rem;
             border: 2px solid #0b3f73; background: #0b5394; color: #fff; cursor: pointer; }
    button.secondary { background: #fff; color: #0b3f73; }
    :focus-visible { outline: 3px solid #0b0c0c; outline-offset: 2px; box-shadow: 0 0 0 6px #ffdd00; }
    ul.cards { list-style: none; padding: 0; margin: 0 0 1rem; }
    ul.cards > li { border: 2px solid #505a5f; padding: 0.75rem; margin: 0 0 0.75rem; max-width: 40em; }
    dl { margin: 0 0 0.5rem; }
    dt { font-weight: 700; }
    dd { margin: 0 0 0.25rem; }
    .status { font-weight: 700; margin: 0 0 0.75rem; }
    .error { border-left: 6px solid #a8200d; padding-left: 0.75rem; color: #0b0c0c; }
    .done { border-left: 6px solid #00703c; padding-left: 0.75rem; }
    details { margin: 0 0 1rem; max-width: 40em; }
    summary { cursor: pointer; font-weight: 700; min-height: 44px; padding: 0.5rem 0; }
    .actions { display: flex; gap: 0.75rem; flex-wrap: wrap; }
    [hidden] { display: none !important; }
  `;

  let counter = 0;

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function words(kind, ids) {
    return ids.map((id) => LABELS[kind][id] || id).join(", ");
  }

  function countWords(total) {
    if (total === "fewer than 5") return "We found fewer than 5 people.";
    if (total === 1) return "We found 1 person.";
    return `We found ${total} people.`;
  }

  class FriendsSearch extends HTMLElement {
    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      this.root.adoptedStyleSheets = [sheet];
      this.id_ = `ff${++counter}`;
      this.cursor = null;
      this.query = null;
      this.askingAbout = null;
    }

    connectedCallback() {
      if (this.built) return;
      this.built = true;
      this.build();
    }

    get key() {
      return this.getAttribute("key") || "";
    }

    build() {
      const id = (name) => `${this.id_}-${name}`;
      const goalOptions = [el("option", { value: "" }, "Anything")];
      for (const [goal, label] of Object.entries(LABELS.goals)) goalOptions.push(el("option", { value: goal }, label));

      this.status = el("p", { class: "status", role: "status", "aria-live": "polite" });
      this.results = el("ul", { class: "cards", "aria-label": "People looking" });
      this.more = el("button", { type: "button", class: "secondary", hidden: true }, "Show more people");
      this.more.addEventListener("click", () => this.search(true));

      this.text = el("input", { id: id("q"), name: "q", type: "search", autocomplete: "off",
                                "aria-describedby": id("q-hint"), maxlength: "200" });
      this.goal = el("select", { id: id("goal"), name: "goal" }, ...goalOptions);
      const form = el("form", { role: "search", "aria-label": "Find people" },
        el("div", { class: "field" },
          el("label", { for: id("q") }, "What do you like doing?",
            el("span", { class: "hint", id: id("q-hint") }, "For example: gardening, football, art. You can leave this empty.")),
          this.text),
        el("div", { class: "field" }, el("label", { for: id("goal") }, "What do you want to do together?"), this.goal),
        el("button", { type: "submit" }, "Search"));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.search(false);
      });

      this.enquiry = this.buildEnquiry(id);

      this.root.append(
        el("section", { "aria-labelledby": id("title") },
          el("h2", { id: id("title") }, "People looking to pool support near you"),
          el("p", {}, "These people live in this council area. They want to meet others and share support, like a personal assistant, a club or trips."),
          el("p", {}, "We do not show their names or where they live."),
          el("details", {},
            el("summary", {}, "What is a listing?"),
            el("p", {}, "A listing means the person said yes to being shown here."),
            el("p", {}, "If you want to meet someone, ask the council. The council's team will read your message. They only pass it on if the person agrees.")),
          form,
          this.status,
          this.results,
          this.more,
          this.enquiry.section));
      this.search(false);
    }

    buildEnquiry(id) {
      const name = el("input", { id: id("name"), name: "name", type: "text", autocomplete: "name", required: true, maxlength: "80" });
      const email = el("input", { id: id("email"), name: "email", type: "email", autocomplete: "email", maxlength: "254",
                                  "aria-describedby": id("contact-hint") });
      const phone = el("input", { id: id("phone"), name: "phone", type: "tel", autocomplete: "tel", maxlength: "30",
                                  "aria-describedby": id("contact-hint") });
      const message = el("textarea", { id: id("message"), name: "message", required: true, maxlength: "1000" });
      // Takes the focus when there is a problem, so that it is read first
      // and the fields follow it (an error summary).
      const problem = el("div", { class: "error", role: "alert", tabindex: "-1", hidden: true });
      const heading = el("h4", { id: id("ask"), tabindex: "-1" }, "Ask the council about this person");
      const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
      const form = el("form", { "aria-labelledby": id("ask"), novalidate: true },
        el("p", {}, "Tell the council who you are and why you want to meet. They will contact you."),
        el("p", { id: id("contact-hint") }, "Give an email address or a phone number, or both."),
        problem,
        el("div", { class: "field" }, el("label", { for: id("name") }, "Your name"), name),
        el("div", { class: "field" }, el("label", { for: id("email") }, "Your email address"), email),
        el("div", { class: "field" }, el("label", { for: id("phone") }, "Your phone number"), phone),
        el("div", { class: "field" }, el("label", { for: id("message") }, "Your message"), message),
        el("div", { class: "actions" }, el("button", { type: "submit" }, "Send to the council"), cancel));
      const done = el("div", { class: "done", hidden: true },
        el("h4", { id: id("sent"), tabindex: "-1" }, "Your message was sent"),
        el("p", {}, "Thank you. The council's team will read it and contact you."),
        el("p", {}, "They will only pass it on if the person agrees."));
      const section = el("section", { class: "ask", hidden: true }, heading, form, done);
      cancel.addEventListener("click", () => this.closeEnquiry());
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendEnquiry();
      });
      return { section, heading, form, done, problem, name, email, phone, message };
    }

    openEnquiry(card, button) {
      const e = this.enquiry;
      this.askingAbout = card.listing_id;
      this.returnFocus = button;
      // Under the card it is about, not below the whole list.
      button.after(e.section);
      e.form.hidden = false;
      e.done.hidden = true;
      e.problem.hidden = true;
      e.heading.textContent = `Ask the council about this person (${AGE_WORDS[card.age_band] || card.age_band})`;
      e.section.hidden = false;
      e.heading.focus();
    }

    closeEnquiry() {
      this.enquiry.section.hidden = true;
      this.askingAbout = null;
      if (this.returnFocus) this.returnFocus.focus();
    }

    async call(path, options) {
      const separator = path.includes("?") ? "&" : "?";
      const url = `${SERVICE}${path}${separator}key=${encodeURIComponent(this.key)}`;
      let response;
      try {
        response = await fetch(url, { credentials: "omit", referrerPolicy: "no-referrer", ...options });
      } catch (_) {
        return { error: "We could not reach the search. Check your internet connection and try again." };
      }
      let body = null;
      try {
        body = await response.json();
      } catch (_) {
        body = null;
      }
      if (response.ok) return { body };
      if (response.status === 429) {
        const wait = response.headers.get("Retry-After") || "60";
        return { error: `Too many tries for now. Please wait ${wait} seconds and try again.` };
      }
      if (response.status === 401) return { error: "This search is not set up properly. Please tell the council." };
      if (response.status === 404) return { error: "This person is not listed any more. Search again to see who is." };
      if (response.status === 422 && body && Array.isArray(body.errors)) return { error: "Please check your answers.", fields: body.errors };
      return { error: "Something went wrong. Please try again." };
    }

    async search(more) {
      if (!more) {
        this.query = { q: this.text.value.trim(), goal: this.goal.value };
        this.cursor = null;
      }
      const params = new URLSearchParams();
      if (this.query.q) params.set("q", this.query.q);
      if (this.query.goal) params.set("goals", this.query.goal);
      if (more && this.cursor) params.set("cursor", this.cursor);
      this.status.textContent = "Searching…";
      const { body, error } = await this.call(`/v1/public/search?${params}`, { method: "GET" });
      if (error) {
        this.status.textContent = error;
        this.status.classList.add("error");
        this.more.hidden = true;
        return;
      }
      this.status.classList.remove("error");
      if (!more) this.results.replaceChildren();
      for (const card of body.items) this.results.append(this.card(card));
      this.cursor = body.next_cursor;
      this.more.hidden = !this.cursor;
      if (body.items.length === 0 && !more) {
        this.status.textContent = this.query.q || this.query.goal
          ? "Nobody listed matches that yet. Try other words, or ask the council's team: they may know people."
          : "Nobody has listed yet near here. The council's team may know people: ask them.";
      } else {
        this.status.textContent = countWords(body.total);
      }
    }

    card(card) {
      const age = AGE_WORDS[card.age_band] || card.age_band;
      const details = el("dl", {});
      const add = (term, text) => {
        if (text) details.append(el("dt", {}, term), el("dd", {}, text));
      };
      add("Likes", words("interests", card.interests));
      add("Wants to", words("goals", card.goals));
      add("Free", words("availability", card.availability));
      const ask = el("button", { type: "button" }, "Ask the council about this person");
      ask.addEventListener("click", () => this.openEnquiry(card, ask));
      return el("li", {}, el("h3", {}, `A person ${age}, in ${card.area_name}`), details, ask);
    }

    async sendEnquiry() {
      const e = this.enquiry;
      const contact = {};
      if (e.email.value.trim()) contact.email = e.email.value.trim();
      if (e.phone.value.trim()) contact.phone = e.phone.value.trim();
      const problems = [];
      if (!e.name.value.trim()) problems.push("Enter your name.");
      if (!contact.email && !contact.phone) problems.push("Enter an email address or a phone number.");
      if (!e.message.value.trim()) problems.push("Enter a message.");
      if (problems.length === 0) {
        const { error, fields } = await this.call("/v1/public/enquiries", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ listing_id: this.askingAbout, name: e.name.value, contact, message: e.message.value }),
        });
        if (!error) {
          e.form.hidden = true;
          e.done.hidden = false;
          e.form.reset();
          e.done.querySelector("h4").focus();
          return;
        }
        problems.push(error);
        const names = { name: "Your name", "contact.email": "Your email address", "contact.phone": "Your phone number",
                        message: "Your message", contact: "How to contact you" };
        for (const field of fields || []) problems.push(`${names[field.field] || "An answer"}: ${field.message}`);
      }
      e.problem.replaceChildren(el("p", {}, "There is a problem:"), el("ul", {}, ...problems.map((text) => el("li", {}, text))));
      e.problem.hidden = false;
      e.problem.focus();
    }
  }

  if (!customElements.get("friends-search")) customElements.define("friends-search", FriendsSearch);
})();
