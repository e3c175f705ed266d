/* The Kanban pipeline (templates/crm/partials/board.html), with SortableJS (static/vendor).
 *
 * Dropping a card sends ONE request — the stage, the position and the version the card was
 * rendered with — to apps.crm.views.deal_move; the server answers with the board re-rendered
 * (counts, totals, versions) and a toast (a win says the conversion is recorded). A stale card
 * (someone moved or edited it meanwhile) is refused with 409 and the board shows the truth.
 *
 * Every card also has a "Move to…" menu (plain forms, keyboard and screen-reader friendly);
 * after a move from the menu, focus returns to the moved card.
 */
(function () {
  "use strict";

  var focusAfterSwap = null;
  var lastDrop = 0;

  function card(el) {
    return el && el.matches && el.matches("[data-deal]") ? el : null;
  }

  function sibling(el, forward) {
    var next = forward ? el.nextElementSibling : el.previousElementSibling;
    while (next && !card(next)) next = forward ? next.nextElementSibling : next.previousElementSibling;
    return next;
  }

  // The drop position as apps.crm.services.deal_move counts it: the index among the stage's
  // other cards. Worked out from the neighbours' own positions, so it is right on a filtered
  // board too (hidden cards keep their places).
  function dropPosition(item, list) {
    var sameStage = item.getAttribute("data-stage-id") === list.getAttribute("data-stage-id");
    var old = Number(item.getAttribute("data-position"));
    function rank(other) {
      var p = Number(other.getAttribute("data-position"));
      return sameStage && p > old ? p - 1 : p;
    }
    var next = sibling(item, true);
    if (next) return rank(next);
    var prev = sibling(item, false);
    if (prev) return rank(prev) + 1;
    return 0;
  }

  function init(scope) {
    if (!scope || !scope.querySelector) return;
    var board = scope.matches && scope.matches("[data-board]") ? scope : scope.querySelector("[data-board]");
    if (!board) return;
    if (focusAfterSwap) {
      var target = board.querySelector('[data-deal-id="' + focusAfterSwap + '"] [data-move-menu] summary');
      focusAfterSwap = null;
      if (target) target.focus();
    }
    board.removeAttribute("aria-busy");
    if (board.getAttribute("data-can-edit") !== "1" || typeof window.Sortable === "undefined") return;
    board.querySelectorAll("[data-board-cards]").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        draggable: "[data-deal]",
        filter: "[data-move-menu]",
        preventOnFilter: false,
        animation: 150,
        forceFallback: true, // pointer events, the same in every browser (and in tests)
        fallbackTolerance: 4,
        emptyInsertThreshold: 40,
        ghostClass: "deal-card--ghost",
        chosenClass: "deal-card--chosen",
        dragClass: "deal-card--drag",
        onEnd: function (event) {
          lastDrop = Date.now();
          if (event.from === event.to && event.oldIndex === event.newIndex) return;
          var item = event.item;
          board.setAttribute("aria-busy", "true");
          window.htmx.ajax("POST", item.getAttribute("data-move-url"), {
            source: item,
            target: "#board",
            swap: "outerHTML",
            values: {
              stage: event.to.getAttribute("data-stage-id"),
              position: dropPosition(item, event.to),
              version: item.getAttribute("data-version"),
              filters: board.getAttribute("data-filters") || "",
            },
          });
        },
      });
    });
  }

  // A drag that ends over the card's title must not also follow the link.
  document.addEventListener(
    "click",
    function (event) {
      if (Date.now() - lastDrop < 350 && event.target.closest && event.target.closest("[data-deal]")) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true
  );

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target.closest && event.target.closest("[data-move-form]");
      if (!form) return;
      var moved = form.closest("[data-deal]");
      if (moved) focusAfterSwap = moved.getAttribute("data-deal-id");
    },
    true
  );

  if (window.htmx) window.htmx.onLoad(init);
  else document.addEventListener("DOMContentLoaded", function () { init(document.body); });
})();
