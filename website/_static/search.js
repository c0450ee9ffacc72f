// Search results' snippets from the page's text, not from its toolbar.
// Sphinx's search (searchtools.js) quotes each result from the text of the page's
// [role="main"] element; in this theme that element also holds the article's toolbar and
// the page's contents list, so every snippet began with "System Settings Light Dark ...".
// This leaves those out before Sphinx reads the page.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") {
    return; // not the search page
  }
  const htmlToText = Search.htmlToText;
  const notText = [
    ".bd-header-article", ".bd-sidebar-secondary", ".bd-footer-article", ".prev-next-area",
    ".kuh-tabs-note", "[role=tablist]", ".kuh-label",
  ];
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(notText.join(",")).forEach((element) => element.remove());
    return htmlToText(page.documentElement.outerHTML, anchor);
  };
});
