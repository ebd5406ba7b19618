// Form checks in the browser, before the server checks everything again. Errors are written next
// to their field (linked with aria-describedby) and listed in a summary that takes the focus.

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

// "1.234,50", "1234,5" and "1234.50" are all 1234.5; anything else is not a number.
export function parseDanishNumber(text) {
  let raw = text.replace(/\s|\u00a0/g, "").replace(/kr\.?$/i, "");
  if (!raw) return null;
  const negative = raw.startsWith("-");
  raw = raw.replace(/^[-+]/, "");
  let candidate;
  if (raw.includes(",")) {
    const at = raw.lastIndexOf(",");
    candidate = `${raw.slice(0, at).replace(/\./g, "")}.${raw.slice(at + 1)}`;
  } else if (/^\d{1,3}(\.\d{3})+$/.test(raw)) {
    candidate = raw.replace(/\./g, "");
  } else {
    candidate = raw;
  }
  if (!/^\d+(\.\d+)?$/.test(candidate)) return null;
  return { value: (negative ? -1 : 1) * Number(candidate), decimals: (candidate.split(".")[1] || "").length };
}

// Day, month and year boxes as one date: {empty}, {invalid} or {iso}.
function dateIn(container) {
  const [day, month, year] = ["day", "month", "year"].map((part) => container.querySelector(`[data-date-part=${part}]`).value.trim());
  if (!day && !month && !year) return { empty: true };
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return { invalid: true };
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (date.getUTCFullYear() !== Number(year) || date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day)) {
    return { invalid: true };
  }
  return { iso: `${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}` };
}

function checkDate(container, required, strings) {
  const date = dateIn(container);
  const first = container.querySelector("[data-date-part=day]");
  if (date.empty) return required ? { input: first, anchor: container, message: strings.required } : null;
  if (date.invalid) return { input: first, anchor: container, message: strings.notDate };
  return null;
}

function inputsOf(group) {
  return [...group.querySelectorAll("input:not([type=hidden]), select, textarea")];
}

function checkGroup(group, strings) {
  const type = group.dataset.fieldType || "text";
  const required = group.dataset.required === "true";
  const inputs = inputsOf(group);
  const first = inputs[0];
  if (type === "multi_select" || type === "yes_no") {
    const anyChecked = inputs.some((input) => input.checked);
    return required && !anyChecked ? [{ input: first, anchor: group.querySelector("fieldset"), message: strings.required }] : [];
  }
  if (type === "date") {
    const error = checkDate(group.querySelector("fieldset"), required, strings);
    return error ? [error] : [];
  }
  if (type === "date_range") return checkRange(group, required, strings);
  const value = first.value.trim();
  if (!value) return required ? [{ input: first, message: strings.required }] : [];
  if (type === "number" || type === "amount") return checkNumber(group, first, value, type, strings);
  const maxLength = Number(group.dataset.maxLength || 0);
  if (maxLength && value.length > maxLength) return [{ input: first, message: format(strings.tooLong, { max: maxLength }) }];
  return [];
}

function checkNumber(group, input, value, type, strings) {
  const parsed = parseDanishNumber(value);
  if (parsed === null) return [{ input, message: strings.notNumber }];
  if (type === "amount" && parsed.decimals > 2) return [{ input, message: strings.tooManyDecimals }];
  const min = group.dataset.minValue;
  const max = group.dataset.maxValue;
  if (min !== undefined && parsed.value < Number(min)) return [{ input, message: format(strings.atLeast, { min: group.dataset.min }) }];
  if (max !== undefined && parsed.value > Number(max)) return [{ input, message: format(strings.atMost, { max: group.dataset.max }) }];
  return [];
}

function checkRange(group, required, strings) {
  const [from, to] = [...group.querySelectorAll("fieldset[data-part]")];
  const anyTyped = !dateIn(from).empty || !dateIn(to).empty;
  const errors = [from, to].map((part) => checkDate(part, required || anyTyped, strings)).filter(Boolean);
  const start = dateIn(from).iso;
  const end = dateIn(to).iso;
  if (!errors.length && start && end && end < start) {
    errors.push({ input: to.querySelector("[data-date-part=day]"), anchor: to, message: strings.dateOrder });
  }
  return errors;
}

function clearErrors(form) {
  for (const summary of form.parentElement.querySelectorAll(".error-summary")) summary.remove();
  for (const message of form.querySelectorAll(".form-error-message")) message.remove();
  for (const group of form.querySelectorAll(".form-error")) group.classList.remove("form-error");
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  for (const element of form.querySelectorAll("[aria-describedby]")) {
    const ids = element.getAttribute("aria-describedby").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
    else element.removeAttribute("aria-describedby");
  }
}

function showError(error, strings) {
  const target = error.anchor || error.input;
  const id = `${target.id}-error`;
  const message = document.createElement("span");
  message.className = "form-error-message";
  message.id = id;
  const prefix = document.createElement("span");
  prefix.className = "sr-only";
  prefix.textContent = `${strings.errorPrefix} `;
  message.append(prefix, error.message);
  (target.closest(".form-group") || target).classList.add("form-error");
  if (target.tagName === "FIELDSET") {
    // After the fieldset's own hint (or legend); its inputs are marked invalid.
    const after = target.querySelector(":scope > .form-hint") || target.querySelector(":scope > legend");
    after.after(message);
    for (const input of target.querySelectorAll("input")) input.setAttribute("aria-invalid", "true");
  } else {
    const before = error.input.closest(".form-input-wrapper") || error.input;
    before.parentNode.insertBefore(message, before);
    target.setAttribute("aria-invalid", "true");
  }
  const described = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  target.setAttribute("aria-describedby", [...described, id].join(" "));
}

function showSummary(form, errors, strings) {
  const summary = document.createElement("div");
  summary.className = "alert alert-error error-summary";
  summary.setAttribute("role", "alert");
  summary.tabIndex = -1;
  summary.id = "error-summary";
  const body = document.createElement("div");
  body.className = "alert-body";
  const heading = document.createElement("h2");
  heading.className = "alert-heading h5";
  heading.textContent = strings.errorSummary;
  const list = document.createElement("ul");
  list.className = "nobullet-list";
  for (const error of errors) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#${error.input.id}`;
    const group = error.input.closest(".form-group[data-field]") || error.input.closest(".form-group");
    const label = group.querySelector("legend, label");
    link.textContent = `${label ? label.firstChild.textContent.trim() : ""}: ${error.message}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      error.input.focus();
    });
    item.append(link);
    list.append(item);
  }
  body.append(heading, list);
  summary.append(body);
  form.parentElement.insertBefore(summary, form);
  summary.focus();
}

function report(form, errors, strings) {
  clearErrors(form);
  if (!errors.length) return true;
  for (const error of errors) showError(error, strings);
  showSummary(form, errors, strings);
  return false;
}

function validateForm(form, strings) {
  const errors = [];
  for (const group of form.querySelectorAll(".form-group[data-field]")) {
    if (group.parentElement.closest(".form-group[data-field]")) continue;
    errors.push(...checkGroup(group, strings));
  }
  return errors;
}

export function enhanceForms(strings) {
  // Delegated, so forms that a live update puts into the page are checked too.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    let errors = null;
    if (form.matches("[data-validate], [data-comment-form]")) {
      errors = validateForm(form, strings);
    } else if (form.matches("[data-decision-form]")) {
      // Rejecting or returning needs a reason; approving does not.
      const comment = form.querySelector("textarea[name=comment]");
      const needsComment = event.submitter && event.submitter.hasAttribute("data-needs-comment");
      errors = needsComment && !comment.value.trim() ? [{ input: comment, message: strings.reasonRequired }] : [];
    }
    if (errors !== null && !report(form, errors, strings)) event.preventDefault();
  });
}
