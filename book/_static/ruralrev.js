/* ruralrev: small offline helpers for the book's pages (added by the ruralrev.book.sphinx.extension extension).
 *
 * 1. Interactive tables. Tables that ruralrev.present.tables.myst_table marks `ruralrev-interactive`
 *    stay numbered MyST tables; here DataTables (the bundle shipped inside itables, read from
 *    _static/ruralrev-datatables.js as a string) makes them sortable and filterable. The module
 *    is imported from a blob: URL, which works from file:// where module files cannot be loaded.
 * 2. Search snippets from file://. Sphinx's search fetches each result page to show a snippet;
 *    browsers block that on file://. _static/ruralrev-search-text.js (search page only) holds
 *    the text of every page, and the fetch of a page is answered from it.
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
      document.documentElement.dataset.ruralrevTables = "ready";
    }).catch(function (error) {
      console.error("ruralrev: could not load the interactive tables: " + error);
    });
  }
})();
