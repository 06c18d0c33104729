// The pipeline board: drag a card to another column to move the partner, or use the card's
// Move link (the keyboard path), which opens the stage form in a dialog. Without JavaScript the
// Move link leads to the stage page instead.
(function () {
  "use strict";

  var dragged = null;
  var returnFocusTo = null;

  function dialog() { return document.getElementById("move-dialog"); }

  function ownerFilter() {
    var board = document.getElementById("board");
    return board ? board.dataset.owner || "" : "";
  }

  function openMoveDialog(url, moveUrl) {
    var box = dialog();
    returnFocusTo = moveUrl;
    htmx.ajax("GET", url, { target: "#move-dialog-body", swap: "innerHTML" }).then(function () {
      if (!box.open) { box.showModal(); }
      var first = box.querySelector(".reason-field input:checked, .field--invalid input, .field--invalid select")
        || (box.querySelector("select[name=stage] option[value=retired]:checked") && box.querySelector(".reason-field input"))
        || box.querySelector("select[name=stage]");
      if (first) { first.focus(); }
    });
  }

  function columnOf(event) {
    return event.target.closest ? event.target.closest(".column[data-stage]") : null;
  }

  function clearHighlight(except) {
    document.querySelectorAll(".column.is-over").forEach(function (column) {
      if (column !== except) { column.classList.remove("is-over"); }
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".card[data-move-url]") : null;
    if (!card) { return; }
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.name || "");
  });

  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragging"); }
    dragged = null;
    clearHighlight(null);
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event);
    if (!dragged || !column) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearHighlight(column);
    column.classList.add("is-over");
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event);
    if (!dragged || !column) { return; }
    event.preventDefault();
    var card = dragged;
    var stage = column.dataset.stage;
    clearHighlight(null);
    if (stage === card.dataset.stage) { return; }
    var pipeline = Array.prototype.map.call(
      document.querySelectorAll(".column[data-stage]:not(.column--side)"),
      function (each) { return each.dataset.stage; }
    );
    var back = pipeline.indexOf(stage) !== -1 && pipeline.indexOf(stage) < pipeline.indexOf(card.dataset.stage);
    if (stage === "retired" || stage === "qualified" || back) {
      // Walking away needs a reason, qualifying the three questions' answers, and a move back a
      // confirmation: ask before anything moves.
      openMoveDialog(
        card.dataset.moveUrl + "?stage=" + stage + "&owner=" + encodeURIComponent(ownerFilter()),
        card.dataset.moveUrl
      );
      return;
    }
    var list = column.querySelector(".column__cards");
    var empty = list.querySelector(".column__empty");
    if (empty) { empty.remove(); }
    list.prepend(card);
    card.classList.add("is-pending");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: "#board",
      swap: "outerHTML",
      values: { stage: stage, owner: ownerFilter() }
    });
  });

  document.addEventListener("click", function (event) {
    var move = event.target.closest("a.js-move");
    if (move && dialog()) {
      event.preventDefault();
      var card = move.closest(".card");
      openMoveDialog(move.href, card ? card.dataset.moveUrl : null);
      return;
    }
    if (event.target.closest(".js-close-dialog") && dialog()) {
      dialog().close();
    }
  });

  // The server says the move is saved (HX-Trigger): the board has been swapped in already.
  document.addEventListener("move-done", function () {
    if (dialog() && dialog().open) { dialog().close(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = dialog();
    if (!box) { return; }
    box.addEventListener("close", function () {
      document.getElementById("move-dialog-body").replaceChildren();
      if (returnFocusTo) {
        var link = document.querySelector('.card[data-move-url="' + returnFocusTo + '"] .js-move');
        if (link) { link.focus(); }
      }
      returnFocusTo = null;
    });
  });
})();
