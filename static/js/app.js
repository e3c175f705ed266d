/* Progressive enhancement for the dashboard shell. Every control here also works without
 * JavaScript (plain links and forms); this file only makes them instant. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  function setTheme(theme) {
    root.setAttribute("data-theme", theme);
    document.querySelectorAll("[data-theme-choice]").forEach(function (btn) {
      btn.setAttribute("aria-pressed", btn.getAttribute("data-theme-choice") === theme ? "true" : "false");
    });
  }

  function closeSidebar() {
    var sidebar = document.getElementById("app-sidebar");
    var backdrop = document.querySelector("[data-nav-backdrop]");
    var toggle = document.querySelector("[data-nav-toggle]");
    if (!sidebar) return;
    sidebar.classList.remove("is-open");
    if (backdrop) backdrop.classList.remove("is-open");
    if (toggle) toggle.setAttribute("aria-expanded", "false");
  }

  function openSidebar() {
    var sidebar = document.getElementById("app-sidebar");
    var backdrop = document.querySelector("[data-nav-backdrop]");
    var toggle = document.querySelector("[data-nav-toggle]");
    if (!sidebar) return;
    sidebar.classList.add("is-open");
    if (backdrop) backdrop.classList.add("is-open");
    if (toggle) toggle.setAttribute("aria-expanded", "true");
    var first = sidebar.querySelector("a[href]");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var choice = event.target.closest("[data-theme-choice]");
    if (choice) {
      // Switch now; the form (htmx, or a normal POST without it) persists the choice.
      var form = choice.closest("form");
      if (form) form.setAttribute("data-previous-theme", root.getAttribute("data-theme") || "system");
      setTheme(choice.getAttribute("data-theme-choice"));
    }

    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      if (toggle.getAttribute("aria-expanded") === "true") closeSidebar();
      else openSidebar();
    }
    if (event.target.closest("[data-nav-backdrop]")) closeSidebar();

    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    closeSidebar();
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // The server refused or could not be reached: show the theme that is really saved.
  function revertTheme(event) {
    var form = event.target.closest && event.target.closest("form[data-theme-form]");
    if (form && form.hasAttribute("data-previous-theme")) setTheme(form.getAttribute("data-previous-theme"));
  }
  document.addEventListener("htmx:responseError", revertTheme);
  document.addEventListener("htmx:sendError", revertTheme);
})();
