// After a refused form, focus goes to its first invalid field (unless the page chose one with
// autofocus), and a link of the error summary moves focus to its field as well as scrolling.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  var first = document.querySelector("form .is-invalid, form [aria-invalid=true]");
  if (first && !document.querySelector("[autofocus]")) {
    if (first.matches(".star-rating")) first = first.querySelector("input");
    first.focus();
  }
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "center" });
  });
})();
