// The colour theme: the system's by default, or the reader's choice (light or dark) kept in
// localStorage. Loaded in <head> right after the style sheets, so the chosen theme is in place
// before the first paint (no flash), from a file the strict CSP allows.
(function () {
  "use strict";
  var KEY = "bookstore-theme";
  var MEDIA = { light: "not all", dark: "all", system: "(prefers-color-scheme: dark)" };
  var root = document.documentElement;

  function stored() {
    try {
      return localStorage.getItem(KEY);
    } catch (error) {
      return null;
    }
  }

  function apply(choice) {
    if (!MEDIA[choice]) choice = "system";
    root.setAttribute("data-theme", choice);
    var sheet = document.getElementById("dark-css");
    if (sheet) sheet.media = MEDIA[choice];
    return choice;
  }

  apply(stored());
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("theme-choice");
    if (!select) return;
    select.value = root.getAttribute("data-theme");
    select.closest("[data-theme-switch]").hidden = false;
    select.addEventListener("change", function () {
      var choice = apply(select.value);
      try {
        if (choice === "system") localStorage.removeItem(KEY);
        else localStorage.setItem(KEY, choice);
      } catch (error) {
        /* storage refused (private mode): the choice lasts for this page */
      }
    });
  });
})();
