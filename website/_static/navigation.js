// The sidebar buttons (☰ and "Contents"), at every width.
// pydata-sphinx-theme 0.20 and sphinx-book-theme 1.4 both render a `.primary-toggle` button
// (and a `.secondary-toggle`), and both themes' scripts listen on the first one only
// (document.querySelector): a hidden button in the top bar. The visible one, in the article's
// header, then does nothing: no drawer on a phone, no hidden sidebar on a desktop
// (pydata/pydata-sphinx-theme#2451). This forwards a click on any other such button to the
// first, where the themes' own code opens the drawer or hides the sidebar.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const selector of [".primary-toggle", ".secondary-toggle"]) {
    const [first, ...others] = document.querySelectorAll(selector);
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        button.blur(); // its tooltip would stay
        first.click();
      });
    }
  }
});
