// Sort controls apply a new choice at once: the form is sent when its select changes, and its
// button, needed only without scripts, is hidden.
(function () {
  "use strict";
  document.querySelectorAll("form[data-sort-on-change]").forEach(function (form) {
    var select = form.querySelector("select");
    var button = form.querySelector("button[type=submit]");
    if (!select) return;
    if (button) button.hidden = true;
    select.addEventListener("change", function () {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  });
})();
