/* The BulkActionToolbar (templates/dashboard/partials/bulk_toolbar.html), one for every list.
 *
 * Selecting: row checkboxes [data-bulk-row], the page checkbox [data-bulk-page], and "select
 * all N matching this filter" (the list's results carry data-total and data-filters), which
 * selects across pages by filter instead of ids. Explicit ids survive paging and sorting; a
 * changed filter starts a new selection. The hidden fields of the form always hold the current
 * selection, so the server (apps.crm.views.bulk_post) does the rest: confirmation, price
 * preview, progress of large jobs, the result and its Undo. When a run is done the server
 * sends the `bulkDone` event and the list reloads itself.
 *
 * window.BizBulk.active() exposes the current selection to the command palette ("tag the
 * current selection").
 */
(function () {
  "use strict";

  var toolbars = [];

  function fmt(template, n) {
    return (template || "{n}").replace("{n}", Number(n).toLocaleString(document.documentElement.lang || undefined));
  }

  function filterKey(query) {
    var params = new URLSearchParams(query || "");
    params.delete("sort");
    params.delete("page");
    params.sort();
    return params.toString();
  }

  function Toolbar(root) {
    this.root = root;
    this.kind = root.getAttribute("data-kind");
    this.form = root.querySelector("[data-bulk-form]");
    this.panel = root.querySelector("[data-bulk-panel]");
    this.action = root.querySelector("[data-bulk-action]");
    this.selected = new Set();
    this.all = false;
    this.key = null;
  }

  Toolbar.prototype.results = function () {
    return document.querySelector("[data-list-results]");
  };

  Toolbar.prototype.total = function () {
    var results = this.results();
    return results ? Number(results.getAttribute("data-total") || 0) : 0;
  };

  Toolbar.prototype.count = function () {
    return this.all ? this.total() : this.selected.size;
  };

  Toolbar.prototype.rows = function () {
    var results = this.results();
    return results ? Array.from(results.querySelectorAll("[data-bulk-row]")) : [];
  };

  Toolbar.prototype.hasAction = function (name) {
    return !!this.action && !!this.action.querySelector('option[value="' + name + '"]');
  };

  // The list was (re)rendered: keep the selection unless the filter changed.
  Toolbar.prototype.sync = function () {
    var results = this.results();
    if (!results) return;
    var key = filterKey(results.getAttribute("data-filters"));
    if (this.key !== null && key !== this.key) this.reset();
    this.key = key;
    var self = this;
    this.rows().forEach(function (box) { box.checked = self.all || self.selected.has(box.value); });
    this.render();
  };

  Toolbar.prototype.reset = function () {
    this.selected.clear();
    this.all = false;
  };

  Toolbar.prototype.render = function () {
    var results = this.results();
    var n = this.count();
    var total = this.total();
    this.form.hidden = n === 0;
    this.root.classList.toggle("is-active", n > 0);
    var count = this.root.querySelector("[data-bulk-count]");
    count.textContent = this.all ? fmt(this.root.getAttribute("data-t-all"), total) : fmt(this.root.getAttribute("data-t-selected"), n);
    var selectAll = this.root.querySelector("[data-bulk-select-all]");
    selectAll.hidden = this.all || n === 0 || total <= n;
    selectAll.textContent = fmt(this.root.getAttribute("data-t-select-all"), total);
    var rows = this.rows();
    var checked = rows.filter(function (box) { return box.checked; }).length;
    var pageBox = results && results.querySelector("[data-bulk-page]");
    if (pageBox) {
      pageBox.checked = rows.length > 0 && checked === rows.length;
      pageBox.indeterminate = checked > 0 && checked < rows.length;
    }
    rows.forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("is-selected", box.checked);
    });
    // The form always carries the current selection.
    this.form.querySelector("[data-bulk-ids]").value = this.all ? "" : Array.from(this.selected).join(",");
    this.form.querySelector("[data-bulk-all]").value = this.all ? "on" : "";
    this.form.querySelector("[data-bulk-filters]").value = results ? results.getAttribute("data-filters") || "" : "";
    this.showParams();
  };

  Toolbar.prototype.showParams = function () {
    var option = this.action && this.action.selectedOptions[0];
    var group = option ? option.getAttribute("data-params") || "" : "";
    this.root.querySelectorAll("[data-bulk-param]").forEach(function (el) {
      var on = el.getAttribute("data-bulk-param") === group;
      el.hidden = !on;
      el.querySelectorAll("input, select").forEach(function (input) { input.disabled = !on; });
    });
    var apply = this.form.querySelector("[data-bulk-apply]");
    apply.classList.toggle("btn-danger", !!(option && option.hasAttribute("data-destructive")));
    apply.classList.toggle("btn-primary", !(option && option.hasAttribute("data-destructive")));
  };

  Toolbar.prototype.toggleRow = function (box) {
    if (this.all) {
      // Leaving "all matching": keep what is ticked on this page.
      this.all = false;
      this.selected = new Set(this.rows().filter(function (b) { return b.checked; }).map(function (b) { return b.value; }));
    } else if (box.checked) {
      this.selected.add(box.value);
    } else {
      this.selected.delete(box.value);
    }
    this.render();
  };

  Toolbar.prototype.togglePage = function (on) {
    var self = this;
    if (!on && this.all) this.all = false;
    this.rows().forEach(function (box) {
      box.checked = on;
      if (on) self.selected.add(box.value);
      else self.selected.delete(box.value);
    });
    this.render();
  };

  Toolbar.prototype.selectAll = function () {
    this.all = true;
    this.rows().forEach(function (box) { box.checked = true; });
    this.render();
  };

  Toolbar.prototype.clear = function () {
    this.reset();
    this.rows().forEach(function (box) { box.checked = false; });
    this.render();
  };

  // Used by the command palette: run an action on the current selection.
  Toolbar.prototype.run = function (action, params) {
    this.action.value = action;
    this.showParams();
    var form = this.form;
    Object.keys(params || {}).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (input) input.value = params[name];
    });
    if (form.requestSubmit) form.requestSubmit();
    else form.dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
  };

  function toolbarOf(el) {
    var root = el.closest ? el.closest("[data-bulk]") : null;
    if (root) return toolbars.find(function (t) { return t.root === root; });
    return toolbars[0] || null;
  }

  function setUp(scope) {
    (scope.querySelectorAll ? Array.from(scope.querySelectorAll("[data-bulk]")) : []).forEach(function (root) {
      if (toolbars.some(function (t) { return t.root === root; })) return;
      toolbars.push(new Toolbar(root));
    });
    toolbars = toolbars.filter(function (t) { return document.body.contains(t.root); });
    toolbars.forEach(function (t) { t.sync(); });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    var bar;
    if (target.matches("[data-bulk-row]")) {
      bar = toolbarOf(target);
      if (bar) bar.toggleRow(target);
    } else if (target.matches("[data-bulk-page]")) {
      bar = toolbarOf(target);
      if (bar) bar.togglePage(target.checked);
    } else if (target.matches("[data-bulk-action]")) {
      bar = toolbarOf(target);
      if (bar) bar.showParams();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-bulk-select-all], [data-bulk-clear], [data-bulk-dismiss]") : null;
    if (!target) return;
    var bar = toolbarOf(target);
    if (!bar) return;
    if (target.matches("[data-bulk-select-all]")) bar.selectAll();
    else if (target.matches("[data-bulk-clear]")) bar.clear();
    else bar.panel.innerHTML = "";
  });

  // A run finished (or was undone): reload the list where it is, start a new selection.
  document.addEventListener("bulkDone", function () {
    toolbars.forEach(function (t) {
      t.clear();
      var results = t.results();
      if (results && window.htmx) {
        window.htmx.ajax("GET", window.location.pathname + window.location.search, { target: "[data-list-results]", swap: "outerHTML" });
      }
    });
  });

  if (window.htmx) window.htmx.onLoad(setUp);
  else document.addEventListener("DOMContentLoaded", function () { setUp(document); });

  window.BizBulk = {
    active: function () {
      var bar = toolbars.find(function (t) { return t.count() > 0; });
      if (!bar) return null;
      return {
        kind: bar.kind,
        count: bar.count(),
        all: bar.all,
        canTag: bar.hasAction("add_tags"),
        tag: function (tags) { bar.run("add_tags", { tags: tags }); },
      };
    },
  };
})();
