// Suggestions under the search box while typing: the ARIA 1.2 combobox pattern with a listbox
// popup. Up and Down move through the books, Enter opens the one chosen (or searches when none
// is), Escape closes the list; a live region says how many books are suggested. Without
// scripts the box is a plain search form.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest-url]");
  if (!input || !window.fetch) return;
  var form = input.form;
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var status = document.getElementById(input.dataset.suggestStatus);
  var url = input.dataset.suggestUrl;
  var active = -1;
  var timer = null;
  var latest = 0;

  function options() {
    return list.querySelectorAll("[role=option]");
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function select(index) {
    var items = options();
    if (!items.length) return;
    if (active >= 0) items[active].setAttribute("aria-selected", "false");
    active = (index + items.length) % items.length;
    items[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  function show(books) {
    list.textContent = "";
    books.forEach(function (book, index) {
      var item = document.createElement("li");
      item.id = "suggestion-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.className = "suggestion";
      item.dataset.url = book.url;
      if (book.thumbnail) {
        var img = document.createElement("img");
        img.src = book.thumbnail;
        img.alt = "";
        img.width = 32;
        img.height = 48;
        img.className = "suggestion-cover";
        item.appendChild(img);
      } else {
        var blank = document.createElement("span");
        blank.className = "suggestion-cover suggestion-cover-blank";
        item.appendChild(blank);
      }
      var text = document.createElement("span");
      var title = document.createElement("span");
      title.className = "suggestion-title";
      title.textContent = book.title;
      var author = document.createElement("span");
      author.className = "suggestion-author";
      author.textContent = book.author;
      text.appendChild(title);
      text.appendChild(author);
      item.appendChild(text);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the box
        window.location.assign(book.url);
      });
      list.appendChild(item);
    });
    active = -1;
    input.removeAttribute("aria-activedescendant");
    list.hidden = books.length === 0;
    input.setAttribute("aria-expanded", books.length ? "true" : "false");
    // The words come from the page, in the reader's language (templates/_base.html).
    status.textContent = books.length === 1
      ? input.dataset.suggestOne
      : books.length
        ? input.dataset.suggestMany.replace("%s", books.length)
        : input.dataset.suggestNone;
  }

  function suggest() {
    var query = input.value.trim();
    if (query.length < 2) {
      close();
      list.textContent = "";
      return;
    }
    var ticket = ++latest;
    fetch(url + "?" + new URLSearchParams({ q: query }), { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { books: [] };
      })
      .then(function (data) {
        if (ticket === latest && document.activeElement === input) show(data.books || []);
      })
      .catch(close);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
  input.addEventListener("keydown", function (event) {
    var open = !list.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open && options().length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      select(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (open) select(active - 1);
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      window.location.assign(options()[active].dataset.url);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
  if (form) form.addEventListener("submit", close);
})();
