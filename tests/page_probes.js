/*
 * In-page measurements for tests/browser/test_accessibility.py, added to a page of the built site
 * as `window.pageProbes`.
 *
 * In: the page as the browser has laid it out (computed styles, boxes, focus).
 * Out: plain data for the test to judge: contrast ratios of texts, the focused element and
 * whether a person can see it, elements that stick out past the right edge, headings.
 *
 * Contrast follows WCAG 2: relative luminance of sRGB colours, (L1 + 0.05) / (L2 + 0.05).
 * The text's colour is blended over its background with its alpha times the opacity of
 * every element up to the one that gives the background; the background is every
 * background colour from the element up to the first opaque one, blended in order
 * (the page's white canvas when none is opaque).
 */
window.pageProbes = (function () {
  "use strict"

  var WHITE = { r: 255, g: 255, b: 255, a: 1 }

  function parse(text) {
    var numbers = (text.match(/[\d.]+/g) || []).map(Number)
    if (numbers.length < 3) return { r: 0, g: 0, b: 0, a: 0 }
    return { r: numbers[0], g: numbers[1], b: numbers[2], a: numbers.length > 3 ? numbers[3] : 1 }
  }

  function over(top, bottom) {
    return {
      r: top.r * top.a + bottom.r * (1 - top.a),
      g: top.g * top.a + bottom.g * (1 - top.a),
      b: top.b * top.a + bottom.b * (1 - top.a),
      a: 1,
    }
  }

  function channel(value) {
    var v = value / 255
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)
  }

  function luminance(colour) {
    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)
  }

  function hex(colour) {
    return (
      "#" +
      [colour.r, colour.g, colour.b]
        .map(function (v) {
          return ("0" + Math.round(v).toString(16)).slice(-2)
        })
        .join("")
    )
  }

  function contrast(element) {
    var layers = []
    var opacity = 1
    var node = element
    for (; node; node = node.parentElement) {
      var style = getComputedStyle(node)
      var colour = parse(style.backgroundColor)
      if (colour.a > 0) layers.push(colour)
      if (colour.a >= 1) break
      opacity *= Number(style.opacity)
    }
    if (!node) layers.push(WHITE)
    var background = layers.reduceRight(function (below, layer) {
      return below === null ? layer : over(layer, below)
    }, null)
    var text = parse(getComputedStyle(element).color)
    text.a *= opacity
    var foreground = over(text, background)
    var lighter = Math.max(luminance(foreground), luminance(background))
    var darker = Math.min(luminance(foreground), luminance(background))
    return {
      ratio: Math.round(((lighter + 0.05) / (darker + 0.05)) * 100) / 100,
      foreground: hex(foreground),
      background: hex(background),
    }
  }

  function describe(element) {
    var name = element.tagName.toLowerCase()
    if (element.id) name += "#" + element.id
    if (typeof element.className === "string" && element.className.trim()) {
      name += "." + element.className.trim().split(/\s+/).join(".")
    }
    var href = element.getAttribute("href")
    if (href) name += '[href="' + href + '"]'
    var text = (element.innerText || element.getAttribute("aria-label") || "").replace(/\s+/g, " ").trim()
    return text ? name + ' "' + text.slice(0, 60) + '"' : name
  }

  function rendered(element) {
    return element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })
  }

  // The part of the element a person can see: inside the viewport and inside every
  // ancestor that clips its overflow (up to a fixed-position ancestor, which only the
  // viewport clips; the root's overflow is the viewport's own).
  function seenArea(element) {
    var box = element.getBoundingClientRect()
    var left = Math.max(box.left, 0)
    var top = Math.max(box.top, 0)
    var right = Math.min(box.right, window.innerWidth)
    var bottom = Math.min(box.bottom, window.innerHeight)
    for (var node = element; node.parentElement && node.parentElement !== document.documentElement; node = node.parentElement) {
      if (getComputedStyle(node).position === "fixed") break
      var parent = node.parentElement
      var style = getComputedStyle(parent)
      if (style.overflowX !== "visible" || style.overflowY !== "visible") {
        var clip = parent.getBoundingClientRect()
        left = Math.max(left, clip.left)
        top = Math.max(top, clip.top)
        right = Math.min(right, clip.right)
        bottom = Math.min(bottom, clip.bottom)
      }
    }
    return Math.max(0, right - left) * Math.max(0, bottom - top)
  }

  function outlined(element) {
    var style = getComputedStyle(element)
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1
  }

  return {
    // Texts matching `selector` that a person can see, with their contrast.
    contrasts: function (selector) {
      return Array.prototype.filter
        .call(document.querySelectorAll(selector), function (element) {
          return rendered(element) && seenArea(element) > 0 && (element.innerText || "").trim()
        })
        .map(function (element) {
          var measured = contrast(element)
          measured.element = describe(element)
          return measured
        })
    },

    // The element that has the keyboard's focus, and what a person sees of it.
    focused: function () {
      var element = document.activeElement
      if (!element || element === document.body || element === document.documentElement) return null
      var seen = rendered(element) ? seenArea(element) : 0
      var link = element.matches("a[href]") && (element.innerText || "").trim()
      return {
        element: describe(element),
        path: (function () {
          var steps = []
          for (var node = element; node && node !== document.documentElement; node = node.parentElement) {
            var index = 1
            for (var sibling = node; (sibling = sibling.previousElementSibling); ) index++
            steps.unshift(index)
          }
          return steps.join("/")
        })(),
        seen: seen > 0,
        outlined: outlined(element),
        contrast: link ? contrast(element) : null,
      }
    },

    // Visible elements whose right edge is past the viewport's and that no ancestor
    // clips or scrolls; only the outermost of each nest.
    stickingOut: function () {
      var width = document.documentElement.clientWidth
      var found = []
      document.body.querySelectorAll("*").forEach(function (element) {
        var box = element.getBoundingClientRect()
        if (box.width === 0 || box.right <= width + 1 || !rendered(element)) return
        for (var node = element.parentElement; node && node !== document.body; node = node.parentElement) {
          var style = getComputedStyle(node)
          if (style.overflowX !== "visible" && node.getBoundingClientRect().right <= width + 1) return
          if (style.position === "fixed") break
        }
        if (found.some(function (outer) { return outer.contains(element) })) return
        found.push(element)
      })
      return {
        width: width,
        scrollWidth: document.documentElement.scrollWidth,
        elements: found.map(function (element) {
          return describe(element) + " (right edge at " + Math.round(element.getBoundingClientRect().right) + " px)"
        }),
      }
    },

    // Every heading of the page in document order: its level and text.
    headings: function () {
      return Array.prototype.map.call(document.querySelectorAll("h1, h2, h3, h4, h5, h6"), function (element) {
        return { level: Number(element.tagName[1]), text: describe(element) }
      })
    },

    // Visible elements outside `selector` and not holding it: what shows besides the content.
    outside: function (selector) {
      var content = document.querySelector(selector)
      if (!content) return ["no " + selector]
      var found = []
      document.body.querySelectorAll("*").forEach(function (element) {
        if (content.contains(element) || element.contains(content)) return
        var box = element.getBoundingClientRect()
        if (box.width === 0 || box.height === 0 || !rendered(element)) return
        if (found.some(function (outer) { return outer.contains(element) })) return
        found.push(element)
      })
      return found.map(describe)
    },

    // Table cells narrower than `ems` times their own font size.
    squeezedCells: function (ems) {
      return Array.prototype.filter
        .call(document.querySelectorAll(".md-typeset table td, .md-typeset table th"), function (cell) {
          var size = parseFloat(getComputedStyle(cell).fontSize)
          return rendered(cell) && cell.getBoundingClientRect().width < ems * size
        })
        .map(function (cell) {
          return describe(cell) + " (" + Math.round(cell.getBoundingClientRect().width) + " px)"
        })
    },
  }
})()
