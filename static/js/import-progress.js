// An import's page reloads itself every 2 seconds until the import has finished.
if (document.querySelector("[data-import-running]")) {
  setTimeout(function () { window.location.reload(); }, 2000);
}
