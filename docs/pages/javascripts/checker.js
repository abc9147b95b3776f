// The "Can I bill this?" checker on the staff site (check/).
//
// In: `window.billability.checker` (checker-data.js, written from the policy at every
// build: for each version of the policy, oldest first, the questions in the policy's
// order, the outcome words, each rule's reason, county quotes and link, the review
// contact, the version's first and last day in force; the date field's words),
// `window.billability.diagrams` (diagram.js: each version's decision diagram) and
// `window.billability.decide(facts, diagram)` (decide.js) -> {outcome, rules, missing}.
// Out: the date of the service (today by default) and the questions of the version in
// force that day as radio groups, shown one needed question at a time; the answer in
// the page's live region the moment it is settled, naming the version that gave it;
// a message and no answer for a day no version was in force; the date and the answers
// in the address bar.
//
// Nothing here knows a rule or a version: which question comes next and what the
// answer is come from `decide` over the version's diagram, and every word shown comes
// from the data, so a policy edit or a new version changes the checker with no edit to
// this file.
(function () {
  "use strict";

  const site = window.billability || {};
  const checker = site.checker;
  const decideBy = site.decide;
  const form = document.getElementById("checker");
  const result = document.getElementById("checker-result");
  const notice = document.getElementById("checker-notice");
  const when = document.getElementById("checker-when");
  const policyLine = document.getElementById("checker-policy");
  if (!form || !result || !notice || !when) return;
  if (!checker || !checker.versions || typeof decideBy !== "function" || !Array.isArray(site.diagrams)) {
    showNotice("The checker could not start: part of this page did not load. Reload the page, or use the topic pages.", []);
    return;
  }

  // An "I don't know" answer: the fact stays unknown to `decide`, but the question counts as answered.
  const UNKNOWN = { unknown: true };
  // The search box of the site's theme adds `?h=words` to the pages it opens.
  const SEARCH_HIGHLIGHT = "h";
  const NUMBER_PAUSE_MS = 700;

  const versions = checker.versions; // oldest first
  const diagrams = new Map(site.diagrams.map((diagram) => [diagram.policy.version, diagram]));
  const dateWords = checker.date;
  const today = isoDay(new Date());

  // The version in force on the date of the service, and what it asks; `data` is null
  // while the date is not a date or comes before the first version.
  let data = null;
  let diagram = null;
  let questions = [];
  let byFact = new Map();
  let controls = new Map(); // fact -> {fieldset, radios, number, unknownBox, error}
  let answers = new Map(); // fact -> value or UNKNOWN; an unanswered fact is absent
  let held = []; // the answers as [fact, param] while no version is in force on the date
  let serviceDate = today; // "YYYY-MM-DD", or "" when the field holds no date
  let shownOutcome = null;

  function decide(facts) {
    return decideBy(facts, diagram);
  }

  // --- the date of the service ----------------------------------------------------------

  function isoDay(date) {
    const two = (n) => String(n).padStart(2, "0");
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate());
  }

  // A date written YYYY-MM-DD that the calendar has, else null.
  function readDay(text) {
    const found = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!found) return null;
    const date = new Date(Number(found[1]), Number(found[2]) - 1, Number(found[3]));
    return isoDay(date) === text ? text : null;
  }

  // The version in force on a day: the latest that took effect on or before it; null before the first.
  function versionOn(day) {
    let found = null;
    for (const version of versions) if (version.policy.effective_from <= day) found = version;
    return found;
  }

  const dateInput = element("input", {
    type: "date",
    id: "checker-date",
    name: dateWords.param,
    required: true,
    "aria-describedby": "checker-date-hint",
  });
  when.append(
    element("label", { for: "checker-date", class: "checker-date-label", text: dateWords.label }),
    dateInput,
    element("span", { class: "checker-hint", id: "checker-date-hint", text: dateWords.hint }),
  );
  dateInput.addEventListener("change", () => useDate(dateInput.value, true));

  function useDate(day, answered) {
    serviceDate = day;
    const version = readDay(day) === null ? null : versionOn(day);
    dateInput.toggleAttribute("aria-invalid", version === null);
    if (version !== data) {
      const problems = switchTo(version);
      if (problems.length > 0) showNotice("Version " + version.policy.version + " leaves out part of your answers:", problems);
    }
    update(answered);
  }

  // Ask the questions of `version` (null: none), keeping each answer it still takes.
  function switchTo(version) {
    const params = data === null ? held : [...answers].map(([fact, value]) => [fact, paramOf(byFact.get(fact), value)]);
    data = version;
    diagram = version === null ? null : diagrams.get(version.policy.version);
    questions = version === null ? [] : version.questions;
    byFact = new Map(questions.map((question) => [question.fact, question]));
    controls = new Map();
    form.replaceChildren(...questions.map(buildQuestion), actions);
    if (version === null) {
      held = params;
      answers = new Map();
      return [];
    }
    held = [];
    const read = readAnswers(params);
    answers = read.answers;
    return read.problems;
  }

  // --- the questions ------------------------------------------------------------------

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function choiceLabel(fact, param, text, extraClass) {
    const input = element("input", { type: "radio", name: fact, value: param });
    const label = element("label", { class: "checker-choice" + (extraClass ? " " + extraClass : "") }, [
      input,
      element("span", { text: text }),
    ]);
    return { input: input, label: label };
  }

  function rangeWords(question) {
    const low = question.minimum, high = question.maximum;
    if (low !== null && high !== null) return "A whole number from " + low + " to " + high + ".";
    if (low !== null) return "A whole number, " + low + " or more.";
    if (high !== null) return "A whole number, " + high + " or less.";
    return "A whole number.";
  }

  function buildQuestion(question) {
    const id = "checker-" + question.fact;
    const fieldset = element("fieldset", { class: "checker-question", id: id, "data-fact": question.fact, hidden: true });
    fieldset.append(element("legend", { text: question.question }));
    const entry = { fieldset: fieldset, radios: [], number: null, unknownBox: null, error: null };
    if (question.type === "integer") {
      const hint = element("span", { class: "checker-hint", id: id + "-hint", text: rangeWords(question) });
      const error = element("span", { class: "checker-error", id: id + "-error", hidden: true });
      const number = element("input", {
        type: "number",
        inputmode: "numeric",
        step: 1,
        min: question.minimum,
        max: question.maximum,
        name: question.fact,
        "aria-describedby": id + "-hint " + id + "-error",
      });
      fieldset.append(
        element("label", { class: "checker-number" }, [element("span", { text: question.label }), number]),
        hint,
        error,
      );
      const unknownBox = element("input", { type: "checkbox", name: question.fact + "-unknown" });
      fieldset.append(
        element("label", { class: "checker-choice checker-unknown" }, [
          unknownBox,
          element("span", { text: data.unknown.label }),
        ]),
      );
      let pause = null;
      number.addEventListener("input", () => {
        clearTimeout(pause);
        pause = setTimeout(() => takeNumber(question, false), NUMBER_PAUSE_MS);
      });
      number.addEventListener("change", () => {
        clearTimeout(pause);
        takeNumber(question, true);
      });
      unknownBox.addEventListener("change", () => {
        if (unknownBox.checked) {
          number.value = "";
          showError(entry, "");
          answer(question.fact, UNKNOWN);
        } else {
          answer(question.fact, undefined);
        }
      });
      Object.assign(entry, { number: number, unknownBox: unknownBox, error: error });
    } else {
      const group = element("div", { class: "checker-choices" });
      for (const choice of question.choices) {
        const made = choiceLabel(question.fact, choice.param, choice.label);
        entry.radios.push(made.input);
        group.append(made.label);
      }
      const made = choiceLabel(question.fact, data.unknown.param, data.unknown.label, "checker-unknown");
      entry.radios.push(made.input);
      group.append(made.label);
      group.addEventListener("change", (event) => {
        const param = event.target.value;
        answer(question.fact, param === data.unknown.param ? UNKNOWN : valueOf(question, param));
      });
      fieldset.append(group);
    }
    controls.set(question.fact, entry);
    return fieldset;
  }

  function valueOf(question, param) {
    const choice = question.choices.find((candidate) => candidate.param === param);
    return choice === undefined ? undefined : choice.value;
  }

  function paramOf(question, value) {
    if (value === UNKNOWN) return data.unknown.param;
    if (question.type === "integer") return String(value);
    return question.choices.find((choice) => choice.value === value).param;
  }

  // A whole number within the question's range, or a sentence saying what is wrong.
  function readNumber(question, text) {
    const trimmed = text.trim();
    if (!/^-?\d+$/.test(trimmed)) return { problem: rangeWords(question) };
    const number = Number(trimmed);
    const low = question.minimum, high = question.maximum;
    if ((low !== null && number < low) || (high !== null && number > high) || !Number.isSafeInteger(number)) {
      return { problem: rangeWords(question) };
    }
    return { value: number };
  }

  function takeNumber(question, final) {
    const entry = controls.get(question.fact);
    const text = entry.number.value;
    if (text.trim() === "") {
      showError(entry, "");
      if (answers.has(question.fact) && answers.get(question.fact) !== UNKNOWN) answer(question.fact, undefined);
      return;
    }
    const read = readNumber(question, text);
    if (read.problem !== undefined) {
      // While typing, a number is often unfinished: say what is wrong once the field is left.
      if (final) showError(entry, read.problem);
      return;
    }
    showError(entry, "");
    entry.unknownBox.checked = false;
    if (answers.get(question.fact) !== read.value) answer(question.fact, read.value);
  }

  function showError(entry, text) {
    entry.error.textContent = text;
    entry.error.hidden = text === "";
    entry.number.toggleAttribute("aria-invalid", text !== "");
  }

  // --- deciding -----------------------------------------------------------------------

  function known(from) {
    const facts = {};
    for (const [fact, value] of from) if (value !== UNKNOWN) facts[fact] = value;
    return facts;
  }

  function answer(fact, value) {
    if (value === undefined) answers.delete(fact);
    else answers.set(fact, value);
    forgetUnneededAfter(fact);
    update(true);
  }

  // After an answer changes, the answers to later questions that no longer change the
  // outcome are forgotten, so only the questions still needed stay on the page.
  function forgetUnneededAfter(fact) {
    const order = questions.map((question) => question.fact);
    const later = order.slice(order.indexOf(fact) + 1).reverse();
    for (const other of later) {
      if (!answers.has(other)) continue;
      const without = new Map(answers);
      without.delete(other);
      if (!decide(known(without)).missing.includes(other)) answers.delete(other);
    }
  }

  function nextQuestion(decision) {
    return decision.missing.find((fact) => !answers.has(fact)) || null;
  }

  function update(answered) {
    form.hidden = data === null;
    if (data === null) {
      shownOutcome = null;
      result.replaceChildren(element("p", { class: "checker-no-version", text: noVersionWords() }));
      if (policyLine) policyLine.textContent = "";
      writeAddress();
      return;
    }
    const decision = decide(known(answers));
    const next = nextQuestion(decision);
    for (const question of questions) {
      const entry = controls.get(question.fact);
      entry.fieldset.hidden = !(answers.has(question.fact) || question.fact === next);
      showAnswer(question, entry);
    }
    form.classList.toggle("checker-started", answers.size > 0);
    restart.hidden = answers.size === 0;
    render(decision, next, answered);
    describeVersion();
    writeAddress();
  }

  function showAnswer(question, entry) {
    const value = answers.get(question.fact);
    if (question.type === "integer") {
      entry.unknownBox.checked = value === UNKNOWN;
      if (value === undefined || value === UNKNOWN) {
        if (document.activeElement !== entry.number) entry.number.value = "";
      } else if (readNumber(question, entry.number.value).value !== value) {
        entry.number.value = String(value);
      }
      return;
    }
    const param = value === undefined ? null : paramOf(question, value);
    for (const radio of entry.radios) radio.checked = radio.value === param;
  }

  // --- the answer ---------------------------------------------------------------------

  function render(decision, next, answered) {
    // Undetermined is an answer once an "I don't know" is among what would decide it, or nothing is left to ask.
    const doubted = decision.missing.some((fact) => answers.get(fact) === UNKNOWN);
    const shown = decision.outcome !== "undetermined" || next === null || doubted;
    if (!shown) {
      shownOutcome = null;
      // Said in the live region, so a screen reader hears where the next question is.
      result.replaceChildren(
        answered && answers.size > 0
          ? element("p", { class: "checker-next", text: "Next question: " + byFact.get(next).question })
          : "",
      );
      return;
    }
    const words = data.outcomes[decision.outcome];
    const box = element("section", {
      class: "checker-answer checker-" + decision.outcome.replace(/_/g, "-"),
      "aria-labelledby": "checker-answer-title",
      "data-outcome": decision.outcome,
    });
    box.append(
      element("h2", { id: "checker-answer-title" }, [
        element("span", { class: "checker-answer-kicker", text: "Answer: " }),
        element("span", { class: "checker-outcome", text: words.words }),
      ]),
      element("p", { class: "checker-advice", text: words.advice }),
    );
    if (decision.outcome === "needs_review") {
      box.append(
        element("p", { class: "checker-review" }, [element("strong", { text: "What to do: " }), data.review.how]),
      );
    }
    if (decision.outcome === "undetermined") {
      const list = element("ol", { class: "checker-deciding" });
      for (const fact of decision.missing) list.append(element("li", { text: byFact.get(fact).question }));
      box.append(list);
    } else {
      box.append(reasons(decision));
    }
    box.append(element("p", { class: "checker-version", text: versionWords(data) }), copyLink());
    result.replaceChildren(box);
    if (shownOutcome !== decision.outcome && answered) bringIntoView(box);
    shownOutcome = decision.outcome;
  }

  // The address keeps the answers: a reviewer or a colleague opening it sees this same answer.
  function copyLink() {
    const button = element("button", { type: "button", class: "md-button checker-copy", text: "Copy the link to this answer" });
    const said = element("span", { class: "checker-copied", role: "status" });
    button.addEventListener("click", () => {
      const done = () => (said.textContent = "Link copied.");
      const failed = () => (said.textContent = "Copy the address in the address bar: it keeps your answers.");
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(location.href).then(done, failed);
      else failed();
    });
    return element("p", { class: "checker-share" }, [button, " ", said]);
  }

  // Which version answered, and when the site itself describes another one, that it does.
  function versionWords(version) {
    const policy = version.policy;
    let words = "Answered by version " + policy.version + " of the policy, in force on " + serviceDate;
    if (policy.effective_from > today) words += " (it takes effect on " + policy.effective_from + ")";
    words += ".";
    if (policy.version !== checker.shown) words += " The rest of this site describes version " + checker.shown + ".";
    return words;
  }

  function noVersionWords() {
    if (readDay(serviceDate) === null) {
      return "Enter the date of the service (for example " + today + ") to get an answer.";
    }
    const first = versions[0].policy;
    return (
      "No version of the policy was in force on " + serviceDate + ": the first, version " + first.version +
      ", took effect on " + first.effective_from + ". The checker cannot answer for that day."
    );
  }

  function reasons(decision) {
    const part = element("div", { class: "checker-why" }, [element("h3", { text: "Why" })]);
    if (decision.rules.length === 0) {
      part.append(element("p", { text: data.default_reason }));
      return part;
    }
    const list = element("ul", { class: "checker-reasons" });
    for (const id of decision.rules) {
      const rule = data.rules[id];
      const item = element("li", { "data-rule": id }, [element("p", { class: "checker-reason", text: rule.reason })]);
      if (rule.quotes.length > 0) {
        item.append(element("p", { class: "checker-quote-intro", text: "The county's table says:" }));
        for (const quote of rule.quotes) {
          item.append(element("blockquote", {}, [element("p", { text: "\u201c" + quote + "\u201d" })]));
        }
      }
      // A rule the site's pages do not describe (another version's) has no section to link.
      if (rule.link) item.append(element("p", {}, [element("a", { href: rule.link, text: "Read more: " + rule.title })]));
      list.append(item);
    }
    part.append(list);
    return part;
  }

  function bringIntoView(box) {
    const bounds = box.getBoundingClientRect();
    if (bounds.top > window.innerHeight || bounds.bottom < 0) box.scrollIntoView({ block: "nearest" });
  }

  // --- the address bar ----------------------------------------------------------------

  // The date is kept once there is an answer to keep, or when it is not today: a link
  // opened on another day still answers for the day of the service.
  function writeAddress() {
    const query = new URLSearchParams();
    const pairs = data === null ? [...held] : [];
    for (const question of questions) {
      if (answers.has(question.fact)) pairs.push([question.fact, paramOf(question, answers.get(question.fact))]);
    }
    if (pairs.length > 0 || serviceDate !== today) query.append(dateWords.param, serviceDate);
    for (const [fact, param] of pairs) query.append(fact, param);
    const text = query.toString();
    history.replaceState(history.state, "", location.pathname + (text ? "?" + text : "") + location.hash);
  }

  // The address's date and answers, as written: [fact, param] pairs for the version in force to read.
  function readAddress() {
    const params = [];
    const problems = [];
    const repeated = new Set();
    let day = today;
    let dates = 0;
    for (const [name, param] of new URLSearchParams(location.search)) {
      if (name === dateWords.param) {
        dates += 1;
        day = readDay(param) === null ? "" : param;
        if (day === "" && dates === 1) {
          problems.push("\u201c" + param + "\u201d is not a date (write it as YYYY-MM-DD), so enter the date of the service.");
        }
        continue;
      }
      if (name === SEARCH_HIGHLIGHT) continue;
      if (params.some(([fact]) => fact === name) || repeated.has(name)) {
        repeated.add(name);
        continue;
      }
      params.push([name, param]);
    }
    if (dates > 1) {
      day = "";
      problems.push("The date of the service is given more than once, so enter it again.");
    }
    return { day: day, params: params.filter(([fact]) => !repeated.has(fact)), repeated: [...repeated], problems: problems };
  }

  // The answers the version in force takes from [fact, param] pairs, and a sentence for each it cannot.
  function readAnswers(params, repeated) {
    const found = new Map();
    const problems = [];
    for (const name of repeated || []) {
      const question = byFact.get(name);
      if (question === undefined) {
        problems.push("\u201c" + name + "\u201d: the checker has no question called \u201c" + name + "\u201d, so it was left out.");
      } else {
        problems.push("\u201c" + question.question + "\u201d is answered more than once, so it is asked again.");
      }
    }
    for (const [name, param] of params) {
      const question = byFact.get(name);
      if (question === undefined) {
        problems.push("\u201c" + name + "=" + param + "\u201d: the checker has no question called \u201c" + name + "\u201d, so it was left out.");
        continue;
      }
      if (param === data.unknown.param) {
        found.set(name, UNKNOWN);
        continue;
      }
      const value = question.type === "integer" ? readNumber(question, param).value : valueOf(question, param);
      if (value === undefined) {
        const expected = question.type === "integer" ? " " + rangeWords(question) : "";
        problems.push(
          "\u201c" + param + "\u201d is not an answer to \u201c" + question.question + "\u201d, so it is asked again." + expected,
        );
        continue;
      }
      found.set(name, value);
    }
    return { answers: found, problems: problems };
  }

  function showNotice(heading, problems) {
    notice.replaceChildren(element("p", { text: heading }));
    if (problems.length > 0) {
      const list = element("ul");
      for (const problem of problems) list.append(element("li", { text: problem }));
      notice.append(list);
    }
    notice.hidden = false;
  }

  // --- the page -----------------------------------------------------------------------

  const restart = element("button", { type: "button", class: "md-button checker-restart", text: "Start again" });
  const actions = element("div", { class: "checker-actions" }, [restart]);
  restart.addEventListener("click", () => {
    answers = new Map();
    notice.hidden = true;
    notice.replaceChildren();
    for (const entry of controls.values()) if (entry.number) showError(entry, "");
    update(false);
    const first = form.querySelector("fieldset:not([hidden]) input");
    if (first) first.focus();
  });
  form.addEventListener("submit", (event) => {
    // Enter in the number box answers it; the page never leaves.
    event.preventDefault();
    for (const question of questions) if (question.type === "integer") takeNumber(question, true);
  });

  function describeVersion() {
    if (!policyLine || data === null) return;
    const policy = data.policy;
    policyLine.textContent =
      "Answers for a service on " + serviceDate + " follow " + policy.title + ", version " + policy.version +
      ", in effect from " + policy.effective_from + (data.until ? " to " + data.until : "") + ".";
  }

  const read = readAddress();
  serviceDate = read.day;
  dateInput.value = read.day;
  const version = read.day === "" ? null : versionOn(read.day);
  dateInput.toggleAttribute("aria-invalid", version === null);
  const problems = read.problems;
  if (version === null) {
    switchTo(null);
    held = read.params;
  } else {
    switchTo(version);
    const taken = readAnswers(read.params, read.repeated);
    answers = taken.answers;
    problems.push(...taken.problems);
  }
  if (problems.length > 0) showNotice("Part of this link could not be used:", problems);
  update(false);
})();
