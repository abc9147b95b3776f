// The "Can I bill this?" checker on the staff site (check/).
//
// In: `window.billability.checker` (checker-data.js, written from the policy at every
// build: the questions in the policy's order, the outcome words, each rule's reason,
// county quotes and link, the review contact) and `window.billability.decide(facts)`
// (decide.js over the policy's decision diagram) -> {outcome, rules, missing}.
// Out: the questions as radio groups, shown one needed question at a time; the answer
// in the page's live region the moment it is settled; the answers in the address bar.
//
// Nothing here knows a rule: which question comes next and what the answer is come
// from `decide`, and every word shown comes from the data, so a policy edit changes
// the checker with no edit to this file.
(function () {
  "use strict";

  const site = window.billability || {};
  const data = site.checker;
  const decide = site.decide;
  const form = document.getElementById("checker");
  const result = document.getElementById("checker-result");
  const notice = document.getElementById("checker-notice");
  const policyLine = document.getElementById("checker-policy");
  if (!form || !result || !notice) return;
  if (!data || typeof decide !== "function" || !site.diagram) {
    showNotice("The checker could not start: part of this page did not load. Reload the page, or use the topic pages.", []);
    return;
  }

  // An "I don't know" answer: the fact stays unknown to `decide`, but the question counts as answered.
  const UNKNOWN = { unknown: true };
  // The search box of the site's theme adds `?h=words` to the pages it opens.
  const SEARCH_HIGHLIGHT = "h";
  const NUMBER_PAUSE_MS = 700;

  const questions = data.questions;
  const byFact = new Map(questions.map((question) => [question.fact, question]));
  const controls = new Map(); // fact -> {fieldset, radios, number, unknownBox, error}
  let answers = new Map(); // fact -> value or UNKNOWN; an unanswered fact is absent
  let shownOutcome = null;

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
    box.append(copyLink());
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
      item.append(element("p", {}, [element("a", { href: rule.link, text: "Read more: " + rule.title })]));
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

  function writeAddress() {
    const query = new URLSearchParams();
    for (const question of questions) {
      if (answers.has(question.fact)) query.append(question.fact, paramOf(question, answers.get(question.fact)));
    }
    const text = query.toString();
    history.replaceState(history.state, "", location.pathname + (text ? "?" + text : "") + location.hash);
  }

  function readAddress() {
    const found = new Map();
    const problems = [];
    const repeated = new Set();
    for (const [name, param] of new URLSearchParams(location.search)) {
      const question = byFact.get(name);
      if (question === undefined) {
        if (name !== SEARCH_HIGHLIGHT) {
          problems.push("\u201c" + name + "=" + param + "\u201d: the checker has no question called \u201c" + name + "\u201d, so it was left out.");
        }
        continue;
      }
      if (found.has(name) || repeated.has(name)) {
        if (!repeated.has(name)) {
          problems.push("\u201c" + question.question + "\u201d is answered more than once, so it is asked again.");
        }
        repeated.add(name);
        found.delete(name);
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

  for (const question of questions) form.append(buildQuestion(question));
  const restart = element("button", { type: "button", class: "md-button checker-restart", text: "Start again" });
  restart.addEventListener("click", () => {
    answers = new Map();
    notice.hidden = true;
    notice.replaceChildren();
    for (const entry of controls.values()) if (entry.number) showError(entry, "");
    update(false);
    const first = form.querySelector("fieldset:not([hidden]) input");
    if (first) first.focus();
  });
  form.append(element("div", { class: "checker-actions" }, [restart]));
  form.addEventListener("submit", (event) => {
    // Enter in the number box answers it; the page never leaves.
    event.preventDefault();
    for (const question of questions) if (question.type === "integer") takeNumber(question, true);
  });

  if (policyLine) {
    const policy = data.policy;
    policyLine.textContent =
      "Answers follow " + policy.title + ", version " + policy.version + ", in effect from " + policy.effective_from + ".";
  }

  const read = readAddress();
  answers = read.answers;
  if (read.problems.length > 0) showNotice("Part of this link could not be used:", read.problems);
  update(false);
})();
