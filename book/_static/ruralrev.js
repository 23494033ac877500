/* ruralrev: small offline helpers for the book's pages (added by the ruralrev.book.sphinx.extension extension).
 *
 * 1. Interactive tables. Tables that ruralrev.present.tables.myst_table marks `ruralrev-interactive`
 *    stay numbered MyST tables; here DataTables (the bundle shipped inside itables, read from
 *    _static/ruralrev-datatables.js as a string) makes them sortable and filterable. The module
 *    is imported from a blob: URL, which works from file:// where module files cannot be loaded.
 * 2. Search snippets from file://. Sphinx's search fetches each result page to show a snippet;
 *    browsers block that on file://. _static/ruralrev-search-text.js (search page only) holds
 *    the text of every page, and the fetch of a page is answered from it.
 * 3. Wide tables. A table's scroll box is wrapped in a frame that shows a hint ("scroll for more
 *    columns") and fades the side where columns are hidden; the classes follow the scrolling, the
 *    window's size and the interactive tables' redraws (CSS in ruralrev.css).
 */
(function () {
  "use strict";

  function pageRoot() {
    // documentation_options.js's URL root, resolved against this page
    var root = document.documentElement.dataset.content_root || "./";
    return new URL(root, window.location.href).href;
  }

  // ---- 2. search snippets on file:// ------------------------------------------------------
  if (window.location.protocol === "file:" && window.fetch) {
    var originalFetch = window.fetch.bind(window);
    window.fetch = function (resource, options) {
      var texts = window.RURALREV_PAGE_TEXT;
      var url = typeof resource === "string" ? resource : (resource && resource.url);
      if (texts && url) {
        var absolute = new URL(url, window.location.href).href.split("#")[0].split("?")[0];
        var root = pageRoot();
        if (absolute.indexOf(root) === 0) {
          var relative = decodeURIComponent(absolute.slice(root.length));
          if (Object.prototype.hasOwnProperty.call(texts, relative)) {
            return Promise.resolve(new Response(texts[relative], {
              status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } }));
          }
        }
      }
      return originalFetch(resource, options);
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.location.protocol === "file:" && document.getElementById("search-results")
        && !window.RURALREV_PAGE_TEXT) {
      var note = document.createElement("p");
      note.className = "ruralrev-search-note";
      note.textContent = "Opened from a file: result snippets need _static/ruralrev-search-text.js, " +
        "which this copy of the book lacks; the result titles still link to the pages.";
      document.getElementById("search-results").before(note);
    }
    frameTables();
    enhanceTables();
  });

  // ---- 1. interactive tables ----------------------------------------------------------------
  function enhanceTables() {
    var tables = document.querySelectorAll("table.ruralrev-interactive");
    if (!tables.length) return;
    if (!window.RURALREV_DATATABLES) {
      console.error("ruralrev: interactive tables need _static/ruralrev-datatables.js");
      return;
    }
    var url = URL.createObjectURL(new Blob([window.RURALREV_DATATABLES], { type: "text/javascript" }));
    import(url).then(function (module) {
      URL.revokeObjectURL(url);
      var DataTable = module.default;
      tables.forEach(function (table) {
        var rows = table.tBodies.length ? table.tBodies[0].rows.length : 0;
        var paged = rows > 25;
        new DataTable(table, {
          order: [],                 // keep the book's row order until the reader sorts
          paging: paged,
          pageLength: 25,
          autoWidth: false,
          layout: {
            topStart: "search",
            topEnd: paged ? "pageLength" : null,
            bottomStart: "info",
            bottomEnd: paged ? "paging" : null
          },
          language: { search: "Filter:" }
        });
      });
      frameTables();
      document.documentElement.dataset.ruralrevTables = "ready";
    }).catch(function (error) {
      console.error("ruralrev: could not load the interactive tables: " + error);
    });
  }

  // ---- 3. wide tables: a frame with a scroll cue ------------------------------------------
  var frames = [];

  function scrollBox(table) {
    // the nearest ancestor that scrolls sideways (the theme's table container, a cell output, ...)
    for (var box = table.parentElement; box && !box.matches(".bd-article"); box = box.parentElement) {
      var overflow = getComputedStyle(box).overflowX;
      if (overflow === "auto" || overflow === "scroll") return box;
    }
    return null;
  }

  function frameTables() {
    document.querySelectorAll(".bd-article table").forEach(function (table) {
      // an interactive table gets its own scroll box from DataTables: framed once that exists
      if (table.classList.contains("ruralrev-interactive") && !table.closest(".dt-container")) return;
      var box = scrollBox(table);
      if (!box || box.parentElement.classList.contains("ruralrev-table-frame")) return;
      var frame = document.createElement("div");
      frame.className = "ruralrev-table-frame";
      var hint = document.createElement("div");
      hint.className = "ruralrev-scroll-hint";
      hint.setAttribute("aria-hidden", "true");
      hint.textContent = "scroll for more columns \u2192";
      box.parentNode.insertBefore(frame, box);
      frame.appendChild(hint);
      frame.appendChild(box);
      if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");   // keyboard scrolling
      if (table.caption && !box.hasAttribute("aria-label")) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", table.caption.innerText.replace(/#$/, "").trim());
      }
      var entry = { frame: frame, box: box, table: table };
      frames.push(entry);
      box.addEventListener("scroll", function () { update(entry); }, { passive: true });
      if (window.ResizeObserver) new ResizeObserver(function () { update(entry); }).observe(box);
    });
    if (!frameTables.listening) {
      window.addEventListener("resize", updateFrames);
      frameTables.listening = true;
    }
    updateFrames();
  }

  function update(entry) {
    var box = entry.box, frame = entry.frame, table = entry.table;
    var hidden = box.scrollWidth - box.clientWidth;
    frame.classList.toggle("ruralrev-scrolls", hidden > 1);
    frame.classList.toggle("ruralrev-more-right", hidden - box.scrollLeft > 1);
    frame.classList.toggle("ruralrev-more-left", box.scrollLeft > 1);
    // the fades start under the caption and, on the left, after the sticky first column
    var caption = table.caption ? table.caption.getBoundingClientRect().height : 0;
    var top = table.getBoundingClientRect().top - frame.getBoundingClientRect().top + caption;
    frame.style.setProperty("--ruralrev-table-top", Math.max(0, Math.round(top)) + "px");
    var first = table.tBodies.length && table.tBodies[0].rows.length ? table.tBodies[0].rows[0].cells[0] : null;
    frame.style.setProperty("--ruralrev-sticky-width", (first ? Math.round(first.getBoundingClientRect().width) : 0) + "px");
  }

  function updateFrames() { frames.forEach(update); }
})();
