// Keeps a visitor's review while they log in: the signed-out form saves it for this tab,
// and the same book's form, once signed in, puts it back. Nothing is sent until they submit.
(function () {
  "use strict";
  var form = document.querySelector("form[data-review-draft]");
  if (!form || !window.sessionStorage) return;
  var key = "review-draft:" + form.getAttribute("data-review-draft");
  var text = form.querySelector("textarea[name=review]");

  if (form.hasAttribute("data-signed-out")) {
    form.addEventListener("submit", function () {
      var rating = form.querySelector("input[name=rating]:checked");
      sessionStorage.setItem(key, JSON.stringify({ review: text.value, rating: rating ? rating.value : "" }));
    });
    return;
  }

  var saved = sessionStorage.getItem(key);
  sessionStorage.removeItem(key);
  if (!saved || text.value) return; // a refused post shows what the server kept instead
  try {
    saved = JSON.parse(saved);
  } catch (e) {
    return;
  }
  text.value = saved.review || "";
  var star = saved.rating && form.querySelector('input[name=rating][value="' + saved.rating.replace(/\D/g, "") + '"]');
  if (star) star.checked = true;
  text.focus();
})();
