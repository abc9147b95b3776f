/*
 * What the keyboard needs beyond the theme.
 *
 * In: the header's `button[data-md-toggles]` (partials/header.html), each naming the
 * theme's checkbox it stands for (`__drawer`, `__search`), and the theme's table
 * wrappers (`.md-typeset__scrollwrap`).
 * Out: a press toggles the checkbox as the theme's own icon label would, and the
 * button's `aria-expanded` follows the checkbox whoever changes it; a button that opens its
 * panel takes the keyboard into it (the navigation's first link, the search box), Escape
 * closes the navigation (the theme closes search on Escape itself), and a panel that closes
 * gives the keyboard back to its button while that button is on screen. A table wider
 * than its box can be reached with Tab and scrolled with the arrow keys.
 */
(function () {
  "use strict"

  // Each checkbox's panel, and where the keyboard goes in it when the button opens it.
  var panels = {
    __drawer: { panel: ".md-sidebar--primary", first: "a[href], label[tabindex], button, input" },
    __search: { panel: ".md-search__inner", first: ".md-search__input" },
  }

  function onScreen(element) {
    return element.getClientRects().length > 0
  }

  document.querySelectorAll("button[data-md-toggles]").forEach(function (button) {
    var toggle = document.getElementById(button.getAttribute("data-md-toggles"))
    if (!toggle) return
    var known = panels[toggle.id]
    if (!known) return
    var panel = document.querySelector(known.panel)
    var pressed = false

    button.addEventListener("click", function () {
      pressed = true
      toggle.click()
    })

    toggle.addEventListener("change", function () {
      button.setAttribute("aria-expanded", String(toggle.checked))
      if (toggle.checked && pressed && panel) {
        // An open panel is visible at once (site.css), so its first control can take focus.
        var first = panel.querySelector(known.first)
        if (first) first.focus()
      }
      if (!toggle.checked && onScreen(button)) {
        var active = document.activeElement
        if (!active || active === document.body || (panel && panel.contains(active))) button.focus()
      }
      pressed = false
    })
  })

  document.addEventListener("keydown", function (event) {
    var drawer = document.getElementById("__drawer")
    if (event.key === "Escape" && drawer && drawer.checked) {
      event.preventDefault()
      drawer.click()
    }
  })

  // A table that scrolls sideways is a Tab stop, named after the heading above it.
  function heading(element) {
    for (var node = element.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) return node.textContent.replace(/\s*¶\s*$/, "").trim()
    }
    return ""
  }

  function reachable(wrapper) {
    if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
      wrapper.setAttribute("tabindex", "0")
      wrapper.setAttribute("role", "region")
      var near = heading(wrapper)
      wrapper.setAttribute("aria-label", near ? "Table: " + near : "Table")
    } else {
      wrapper.removeAttribute("tabindex")
      wrapper.removeAttribute("role")
      wrapper.removeAttribute("aria-label")
    }
  }

  function tables() {
    var wrappers = document.querySelectorAll(".md-typeset__scrollwrap")
    if (!wrappers.length) return
    wrappers.forEach(reachable)
    if (typeof ResizeObserver === "function") {
      var observer = new ResizeObserver(function (entries) {
        entries.forEach(function (entry) { reachable(entry.target) })
      })
      wrappers.forEach(function (wrapper) { observer.observe(wrapper) })
    }
  }

  // The theme wraps tables once the page is loaded; `document$` tells when it has.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(tables)
  } else {
    document.addEventListener("DOMContentLoaded", tables)
  }
})()
