// Shows the chosen cover before upload. An external file, not inline: the CSP forbids inline scripts.
(function () {
  "use strict";
  var input = document.querySelector('input[type="file"][name="cover"]');
  var preview = document.getElementById("cover-preview");
  if (!input || !preview) return;
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (preview.src) URL.revokeObjectURL(preview.src);
    if (!file) { preview.classList.add("d-none"); preview.removeAttribute("src"); return; }
    preview.src = URL.createObjectURL(file);
    preview.classList.remove("d-none");
  });
})();
