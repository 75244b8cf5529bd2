// With S3 storage the cover goes straight to the bucket, through a presigned POST the site
// hands out, so a slow upload never holds a web worker; the form then carries the upload's
// handle instead of the file, and the server finalizes it as the API does. Whatever fails
// before the form is sent (the presign, the upload, no CORS) falls back to the normal post.
// An external file, not inline: the CSP forbids inline scripts; its connect-src names the bucket.
(function () {
  "use strict";
  var form = document.querySelector("form[data-direct-upload]");
  if (!form || !window.fetch || !window.FormData || !window.Promise) return;
  var input = form.querySelector('input[type="file"][name="cover"]');
  var handle = form.querySelector('input[type="hidden"][name="cover_upload"]');
  var csrf = form.querySelector('input[name="csrfmiddlewaretoken"]');
  var box = document.getElementById("cover-upload-progress");
  var bar = document.getElementById("cover-upload-bar");
  if (!input || !handle || !csrf || !box || !bar) return;
  var busy = false;

  function progress(fraction) {
    box.classList.remove("d-none");
    bar.value = Math.round(fraction * 100);
    bar.textContent = bar.value + "%";
  }

  function presign() {
    return fetch(form.getAttribute("data-direct-upload"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf.value, Accept: "application/json" },
    }).then(function (response) {
      if (response.status !== 201) throw new Error("presign answered " + response.status);
      return response.json();
    });
  }

  // XMLHttpRequest rather than fetch: only it reports upload progress.
  function upload(grant, file) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      Object.keys(grant.fields).forEach(function (name) {
        data.append(name, grant.fields[name]);
      });
      data.append("file", file); // S3 ignores every field after the file
      var request = new XMLHttpRequest();
      request.open("POST", grant.url);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) progress(event.loaded / event.total);
      });
      request.addEventListener("load", function () {
        if (request.status >= 200 && request.status < 300) resolve(grant.upload);
        else reject(new Error("the bucket answered " + request.status));
      });
      request.addEventListener("error", function () {
        reject(new Error("the upload failed"));
      });
      request.addEventListener("abort", function () {
        reject(new Error("the upload was aborted"));
      });
      request.send(data);
    });
  }

  function send() {
    // submit() fires no submit event, so this handler does not run again.
    HTMLFormElement.prototype.submit.call(form);
  }

  form.addEventListener("submit", function (event) {
    if (busy) {
      event.preventDefault(); // a second click while the cover uploads
      return;
    }
    var file = input.files && input.files[0];
    // "Fill from Open Library" saves nothing: no upload for it.
    if (!file || (event.submitter && event.submitter.name === "lookup")) return;
    event.preventDefault();
    busy = true;
    progress(0);
    presign()
      .then(function (grant) {
        return upload(grant, file);
      })
      .then(
        function (uploaded) {
          handle.value = uploaded;
          input.disabled = true; // the file is in the bucket: only its handle goes with the form
          send();
        },
        function () {
          handle.value = "";
          box.classList.add("d-none");
          send(); // the file goes with the form, as without JavaScript
        }
      );
  });

  // Back to this page from the next one: the form as the member left it, ready again.
  window.addEventListener("pageshow", function () {
    busy = false;
    input.disabled = false;
    handle.value = "";
  });
})();
