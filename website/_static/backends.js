// Tabs of the cells that show each backend's output (markup from tools/website.py).
// Without this script every panel shows, labelled with its backend.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.classList.add("kuh-scripted");
  for (const group of document.querySelectorAll(".kuh-backends")) {
    const tabs = [...group.querySelectorAll('[role="tab"]')];
    const select = (chosen) => {
      for (const tab of tabs) {
        const on = tab === chosen;
        tab.setAttribute("aria-selected", String(on));
        tab.tabIndex = on ? 0 : -1;
        document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
      }
    };
    for (const [index, tab] of tabs.entries()) {
      tab.addEventListener("click", () => select(tab));
      tab.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (step) {
          const next = tabs[(index + step + tabs.length) % tabs.length];
          select(next);
          next.focus();
        }
      });
    }
    select(tabs[0]);
  }
});
