// Tabs of the cells that show each backend's output (markup from tools/website.py).
// One choice for the whole site: choosing a backend in one group switches every group of the
// page, and the choice is kept (localStorage) for the other pages, reloads and open windows.
// Keys: arrows move between tabs, Home and End go to the first and last.
// Without this script every panel shows, labelled with its backend, and no tab bar.
"use strict";
(() => {
  const KEY = "kuh-backend";
  const stored = () => {
    try {
      return window.localStorage.getItem(KEY);
    } catch {
      return null; // storage switched off: the choice lasts for this page only
    }
  };
  const remember = (backend) => {
    try {
      window.localStorage.setItem(KEY, backend);
    } catch {
      // as above
    }
  };
  const tabsOf = (group) => [...group.querySelectorAll('[role="tab"]')];

  // Show `backend` in every group (its first tab where a group has no such tab).
  const show = (backend) => {
    for (const group of document.querySelectorAll(".kuh-backends")) {
      const tabs = tabsOf(group);
      const chosen = tabs.find((tab) => tab.dataset.backend === backend) || tabs[0];
      for (const tab of tabs) {
        const on = tab === chosen;
        tab.setAttribute("aria-selected", String(on));
        tab.tabIndex = on ? 0 : -1;
        document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
      }
    }
  };

  // Switch every group to `tab`'s backend, keeping `tab` where it is on the screen (the
  // groups above it may change height).
  const choose = (tab) => {
    const before = tab.getBoundingClientRect().top;
    remember(tab.dataset.backend);
    show(tab.dataset.backend);
    window.scrollBy(0, tab.getBoundingClientRect().top - before);
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.documentElement.classList.add("kuh-scripted");
    for (const group of document.querySelectorAll(".kuh-backends")) {
      const tabs = tabsOf(group);
      for (const [index, tab] of tabs.entries()) {
        tab.addEventListener("click", () => choose(tab));
        tab.addEventListener("keydown", (event) => {
          const last = tabs.length - 1;
          const target = {
            ArrowRight: (index + 1) % tabs.length,
            ArrowLeft: (index + last) % tabs.length,
            Home: 0,
            End: last,
          }[event.key];
          if (target !== undefined) {
            event.preventDefault();
            choose(tabs[target]);
            tabs[target].focus();
          }
        });
      }
    }
    show(stored());
  });
  // A choice made in another window of the site.
  window.addEventListener("storage", (event) => {
    if (event.key === KEY) {
      show(event.newValue);
    }
  });
})();
