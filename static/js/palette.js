/* The command palette (M6), templates/dashboard/partials/palette.html.
 *
 * Ctrl+K / Cmd+K anywhere in the dashboard (or the topbar's search button) opens it; typing
 * asks /app/palette/?q= (debounced) for matching records, pages and actions; ↑/↓ move (the
 * input keeps focus and points at the active option with aria-activedescendant), Enter opens,
 * Escape closes and gives focus back. When a list with a selection is open, "Tag the N selected
 * rows…" is offered first: Enter turns the input into a tags prompt and applies them through
 * the list's BulkActionToolbar (window.BizBulk).
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 140;
  var root, input, list, dialog;
  var opener = null;
  var timer = null;
  var seq = 0;
  var tagMode = null;

  function options() {
    return Array.from(list.querySelectorAll("[role=option]"));
  }

  function active() {
    var id = input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }

  function setActive(option) {
    options().forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", option ? option.id : "");
    if (option) option.scrollIntoView({ block: "nearest" });
  }

  function move(delta) {
    var all = options();
    if (!all.length) return;
    var index = all.indexOf(active());
    index = index < 0 ? (delta > 0 ? 0 : all.length - 1) : (index + delta + all.length) % all.length;
    setActive(all[index]);
  }

  function fmt(template, n) {
    return (template || "").replace("{n}", Number(n).toLocaleString(document.documentElement.lang || undefined));
  }

  // "Tag the current selection", when a list has one.
  function selectionOption() {
    var bulk = window.BizBulk && window.BizBulk.active();
    if (!bulk || !bulk.canTag) return null;
    var label = fmt(root.getAttribute(bulk.all ? "data-t-tag-all" : "data-t-tag"), bulk.count);
    var q = input.value.trim().toLowerCase();
    if (q && label.toLowerCase().indexOf(q) < 0 && "tag".indexOf(q) !== 0) return null;
    var group = document.createElement("div");
    group.className = "palette__group";
    group.setAttribute("role", "group");
    group.setAttribute("aria-labelledby", "pg-selection");
    var heading = document.createElement("div");
    heading.className = "palette__group-label";
    heading.id = "pg-selection";
    heading.setAttribute("role", "presentation");
    heading.textContent = root.getAttribute("data-t-actions") || "";
    var option = document.createElement("div");
    option.className = "palette__option";
    option.id = "po-tag-selection";
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    option.setAttribute("data-action", "tag-selection");
    option.setAttribute("data-testid", "palette-tag-selection");
    var text = document.createElement("span");
    text.className = "palette__option-text";
    var title = document.createElement("span");
    title.className = "palette__option-title";
    title.textContent = label;
    text.appendChild(title);
    option.appendChild(text);
    group.appendChild(heading);
    group.appendChild(option);
    return group;
  }

  function search() {
    var q = input.value.trim();
    var mine = ++seq;
    var url = root.getAttribute("data-url") + "?q=" + encodeURIComponent(q);
    fetch(url, { headers: { "HX-Request": "true", "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (mine !== seq || tagMode) return; // an older answer, or the user moved on
        list.innerHTML = html;
        var extra = selectionOption();
        if (extra) list.insertBefore(extra, list.firstChild);
        setActive(options()[0] || null);
      })
      .catch(function () {});
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, DEBOUNCE_MS);
  }

  function open() {
    if (!root || !root.hidden) return;
    opener = document.activeElement;
    tagMode = null;
    root.hidden = false;
    document.documentElement.classList.add("palette-open");
    input.value = "";
    input.placeholder = input.getAttribute("data-placeholder") || input.placeholder;
    list.innerHTML = "";
    input.focus();
    search();
  }

  function close() {
    if (!root || root.hidden) return;
    root.hidden = true;
    tagMode = null;
    document.documentElement.classList.remove("palette-open");
    input.setAttribute("aria-activedescendant", "");
    if (opener && opener.focus && document.body.contains(opener)) opener.focus();
    opener = null;
  }

  function choose(option) {
    if (!option) return;
    if (option.getAttribute("data-action") === "tag-selection") {
      var bulk = window.BizBulk && window.BizBulk.active();
      if (!bulk) return;
      tagMode = bulk;
      list.innerHTML = "";
      input.setAttribute("aria-activedescendant", "");
      input.value = "";
      input.placeholder = root.getAttribute("data-t-tag-prompt");
      return;
    }
    var href = option.getAttribute("data-href");
    if (href) {
      close();
      window.location.assign(href);
    }
  }

  function applyTags() {
    var tags = input.value.trim();
    if (!tags || !tagMode) return;
    var bulk = tagMode;
    close();
    bulk.tag(tags);
  }

  function onKey(event) {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      move(1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      move(-1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (tagMode) applyTags();
      else choose(active());
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab") {
      event.preventDefault(); // the input is the only stop in the dialog
    }
  }

  function setUp() {
    root = document.querySelector("[data-palette]");
    if (!root) return;
    input = root.querySelector("[data-palette-input]");
    list = root.querySelector("[data-palette-list]");
    dialog = root.querySelector("[role=dialog]");
    input.setAttribute("data-placeholder", input.placeholder);
    input.addEventListener("input", function () { if (!tagMode) schedule(); });
    input.addEventListener("keydown", onKey);
    list.addEventListener("mousemove", function (event) {
      var option = event.target.closest("[role=option]");
      if (option && option !== active()) setActive(option);
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); }); // keep focus in the input
    list.addEventListener("click", function (event) { choose(event.target.closest("[role=option]")); });
    root.addEventListener("click", function (event) {
      if (event.target.closest("[data-palette-close]")) close();
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") close();
    });
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "k" || event.key === "K")) {
        event.preventDefault();
        if (root.hidden) open();
        else close();
      }
    });
    document.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-palette-open]")) open();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
