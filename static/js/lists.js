/* Lists, inline edits and toasts of the CRM and catalogue pages (needs htmx, loaded before it).
 *
 * - Toasts: a response header `HX-Trigger: {"toast": {"message": "...", "tone": "success"}}`
 *   shows a short message (role=status; errors role=alert). window.BizToast(message, tone) too.
 * - Error responses that carry a form back (400 validation, 409 conflict, ...) are swapped in
 *   place when the request came from inside [data-swap-errors]; htmx would drop them otherwise.
 * - List filters leave empty fields out of the URL; the export link follows the list's filters.
 * - Inline edit rows: the first field gets focus, Escape cancels, focus returns to the row.
 */
(function () {
  "use strict";

  // ------------------------------------------------------------------ toasts
  function toastHost() {
    var host = document.querySelector("[data-toasts]");
    if (!host) {
      host = document.createElement("div");
      host.className = "toasts";
      host.setAttribute("data-toasts", "");
      host.setAttribute("aria-live", "polite");
      document.body.appendChild(host);
    }
    return host;
  }

  function toast(message, tone) {
    if (!message) return;
    tone = tone || "success";
    var el = document.createElement("div");
    el.className = "toast toast--" + tone;
    el.setAttribute("role", tone === "danger" ? "alert" : "status");
    el.setAttribute("data-testid", "toast");
    var text = document.createElement("p");
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close";
    close.setAttribute("aria-label", "×");
    close.textContent = "×";
    close.addEventListener("click", function () { el.remove(); });
    el.appendChild(text);
    el.appendChild(close);
    toastHost().appendChild(el);
    window.setTimeout(function () { el.remove(); }, tone === "danger" ? 9000 : 5000);
  }
  window.BizToast = toast;

  document.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    toast(detail.message, detail.tone);
  });

  // ------------------------------------------------------------------ error responses in place
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status < 400 || status >= 500 || status === 401) return;
    var config = event.detail.requestConfig || {};
    var source = config.elt || event.detail.elt;
    if (source && source.closest && source.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // ------------------------------------------------------------------ filters
  document.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail.elt;
    if (!source || !source.matches || !source.matches("[data-list-filters]")) return;
    var data = event.detail.formData;
    if (!data || !data.entries) return;
    var keep = [];
    Array.from(data.entries()).forEach(function (pair) {
      if (typeof pair[1] !== "string" || pair[1].trim()) keep.push(pair);
    });
    Array.from(new Set(Array.from(data.keys()))).forEach(function (key) { data.delete(key); });
    keep.forEach(function (pair) { data.append(pair[0], pair[1]); });
  });

  function followFilters(results) {
    var query = results.getAttribute("data-filters") || "";
    document.querySelectorAll("[data-export-link]").forEach(function (link) {
      var base = link.getAttribute("data-export-link");
      link.setAttribute("href", base + (query ? "?" + query : ""));
    });
  }

  // ------------------------------------------------------------------ inline edit rows
  function onLoad(el) {
    if (!el || !el.matches) return;
    var results = el.matches("[data-list-results]") ? el : el.querySelector("[data-list-results]");
    if (results) followFilters(results);
    if (el.matches(".row-editing")) {
      var first = el.querySelector("[data-inline-form] input:not([type=hidden]), [data-inline-form] select, [data-inline-form] textarea");
      var invalid = el.querySelector("[aria-invalid=true], .field--invalid input, .field--invalid select");
      (invalid || first || el).focus();
    } else if (el.matches("[data-inline-row]")) {
      var active = document.activeElement;
      if (!active || active === document.body) {
        var edit = el.querySelector("[data-inline-edit]");
        if (edit) edit.focus();
      }
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var form = event.target.closest("[data-inline-form]");
    if (!form) return;
    var cancel = form.querySelector("[data-inline-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });

  if (window.htmx) {
    window.htmx.onLoad(onLoad);
  } else {
    document.addEventListener("DOMContentLoaded", function () { onLoad(document.body); });
  }
})();
