// Conveniences shared by every page. Everything works without this file.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var FADE_AFTER_MS = 10000;

  // Success messages fade after a while; errors stay until dismissed.
  function scheduleFade(root) {
    root.querySelectorAll(".message--success:not([data-fading])").forEach(function (message) {
      message.setAttribute("data-fading", "");
      window.setTimeout(function () { message.remove(); }, FADE_AFTER_MS);
    });
  }

  function showError(text) {
    var region = document.getElementById("messages");
    if (!region) { return; }
    var message = document.createElement("div");
    message.className = "message message--error";
    var paragraph = document.createElement("p");
    paragraph.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "message__close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", "Dismiss this message");
    close.textContent = "\u00d7";
    message.append(paragraph, close);
    region.append(message);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) { button.closest(".message").remove(); }
  });

  // Copy a draft's text (the buttons show only with JavaScript; the text stays selectable).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = "value" in source ? source.value : source.textContent;
    var label = button.textContent;
    function done(message) {
      button.textContent = message;
      window.setTimeout(function () { button.textContent = label; }, 2000);
    }
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(
        function () { done("Copied"); },
        function () { done("Select the text to copy it"); }
      );
    } else {
      done("Select the text to copy it");
    }
  });

  // On a narrow screen the header's menu folds behind the Menu button (see app.css).
  function setUpMenu() {
    var button = document.querySelector(".menu-button");
    var menu = document.getElementById("site-menu");
    if (!button || !menu) { return; }
    button.hidden = false;
    document.documentElement.classList.add("has-menu-button");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("is-open", open);
    });
  }

  // A long list of partners gets a filter box: each word typed must start a word of the option.
  function makeSearchable(select) {
    if (select.hasAttribute("data-search-ready")) { return; }
    if (select.options.length < Number(select.getAttribute("data-searchable"))) { return; }
    select.setAttribute("data-search-ready", "");
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-search";
    box.placeholder = "Type to narrow the list";
    var label = select.labels && select.labels[0] ? select.labels[0].textContent.trim() : "list";
    box.setAttribute("aria-label", "Narrow the " + label + " list");
    box.setAttribute("aria-controls", select.id);
    select.before(box);
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var firstShown = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var text = " " + option.textContent.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ");
        var shown = !option.value || words.every(function (word) { return text.indexOf(" " + word) !== -1; });
        option.hidden = !shown;
        if (shown && option.value && firstShown === null) { firstShown = option; }
      });
      var chosen = select.options[select.selectedIndex];
      if ((!chosen || chosen.hidden || !chosen.value) && firstShown) {
        firstShown.selected = true;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function setUpSearchableSelects(root) {
    root.querySelectorAll("select[data-searchable]").forEach(makeSearchable);
  }

  // The partner list's bulk form shows only the fields of the action chosen.
  function showBulkFields(form) {
    var action = form.querySelector("select[name=action]");
    if (!action) { return; }
    form.querySelectorAll(".bulk-field").forEach(function (field) {
      field.hidden = field.getAttribute("data-actions").split(" ").indexOf(action.value) === -1;
    });
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-bulk]") : null;
    if (form && event.target.name === "action") { showBulkFields(form); }
  });
  function setUpBulkForms(root) { root.querySelectorAll("form[data-bulk]").forEach(showBulkFields); }

  document.addEventListener("DOMContentLoaded", setUpMenu);
  document.addEventListener("DOMContentLoaded", function () { setUpBulkForms(document); });
  document.addEventListener("htmx:afterSettle", function (event) { setUpBulkForms(event.target); });
  document.addEventListener("DOMContentLoaded", function () { setUpSearchableSelects(document); });
  document.addEventListener("htmx:afterSettle", function (event) { setUpSearchableSelects(event.target); });
  document.addEventListener("DOMContentLoaded", function () { scheduleFade(document); });
  document.addEventListener("htmx:afterSettle", function () { scheduleFade(document); });

  // A refused form comes back in place: take the user to the first field in error.
  var focused = new WeakSet();
  document.addEventListener("htmx:afterSettle", function (event) {
    var info = event.detail;
    if (!info.requestConfig || info.requestConfig.verb === "get" || focused.has(info.xhr)) { return; }
    var invalid = event.target.querySelector && event.target.querySelector("[aria-invalid=true]");
    if (invalid) {
      focused.add(info.xhr);
      invalid.focus();
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) {
      showError("You are not allowed to do that.");
    } else if (status === 404) {
      showError("That record is gone or not shared with you. Reload the page.");
    } else {
      showError("Something went wrong; nothing was half-saved. Please try again.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    showError("Reciprocity could not be reached. Check the connection and try again.");
  });
})();
