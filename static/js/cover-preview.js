// Shows the chosen cover before upload. An external file, not inline: the CSP forbids inline
// scripts. The blob: URL it makes is allowed by the policy's img-src.
(function () {
  "use strict";
  var input = document.querySelector('input[type="file"][name="cover"]');
  var preview = document.getElementById("cover-preview");
  var figure = document.getElementById("cover-preview-figure") || preview;
  var clear = document.querySelector('input[type="checkbox"][name="cover-clear"]');
  if (!input || !preview) return;

  function show(file) {
    if (preview.src) URL.revokeObjectURL(preview.src);
    if (!file || !/^image\//.test(file.type)) {
      figure.classList.add("d-none");
      preview.removeAttribute("src");
      return;
    }
    preview.src = URL.createObjectURL(file);
    figure.classList.remove("d-none");
  }

  // A picture the browser could show replaces a refused one: the old error no longer applies.
  function clearError() {
    var error = document.getElementById(input.id + "_error");
    if (!error) return;
    error.remove();
    var listed = document.querySelector('[data-error-summary] a[href="#' + input.id + '"]');
    if (listed) listed.closest("li").remove();
    input.classList.remove("is-invalid");
    input.removeAttribute("aria-invalid");
    var describedBy = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== error.id;
    });
    input.setAttribute("aria-describedby", describedBy.join(" "));
  }
  preview.addEventListener("load", function () {
    if (input.files && input.files.length) clearError();
  });

  // A file that is not really an image (the server will refuse it too) shows no broken icon.
  preview.addEventListener("error", function () {
    figure.classList.add("d-none");
  });

  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    show(file);
    // Choosing a new cover and removing the cover at once makes no sense.
    if (file && clear) clear.checked = false;
  });
  if (clear) {
    clear.addEventListener("change", function () {
      if (clear.checked && input.value) {
        input.value = "";
        show(null);
      }
    });
  }
})();
