/* demodeck built-in theme: the slide runtime.
 *
 * Plain script, no modules and no network, so a deck opened from file:// works.
 * Loaded in <head> without `defer` so the `js` class is on <html> before the
 * first paint (no flash of stacked slides); everything else waits for the DOM.
 *
 * Public API, for themes and for later views (presenter, overview, help):
 *   demodeck.slides          array of <section class="slide"> elements
 *   demodeck.current()       index of the current slide
 *   demodeck.go(target)      go to an index, a slide id, or a slide element
 *   demodeck.next(), .prev()
 *   demodeck.on("change", fn)          fn({index, previous, id, slide})
 *   demodeck.key(keys, fn, help)       bind keys; `help` feeds a future "?" overlay
 *   demodeck.keys            the bindings, [{keys, help}], in order
 *   demodeck.fit(slide?)     re-run shrink-to-fit after changing a slide's content
 * A "demodeck:change" CustomEvent is also dispatched on document.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  var WIDTH = 1280;
  var HEIGHT = 720;
  var MIN_FIT = 0.5; // never shrink a slide's text below half its designed size
  var IDLE_MS = 2500;
  // Layout knobs a slide's CSS may define, tried in order before any text is
  // shrunk: e.g. a demo slide gives its screenshot less room first.
  var SQUEEZE = [["--media", ["44%", "38%"]]];

  var slides = [];
  var index = -1;
  var listeners = [];
  var bindings = []; // [{keys: [...], run: fn, help: "..."}]
  var ui = {};

  // ---- Navigation --------------------------------------------------------

  function resolve(target) {
    if (typeof target === "number") {
      return Math.max(0, Math.min(slides.length - 1, Math.floor(target)));
    }
    if (typeof target === "string") {
      for (var i = 0; i < slides.length; i++) {
        if (slides[i].id === target) return i;
      }
      return -1;
    }
    return slides.indexOf(target);
  }

  function go(target) {
    var next = resolve(target);
    if (next < 0 || !slides.length) return false;
    if (next === index) return true;
    var previous = index;
    index = next;
    slides.forEach(function (slide, i) {
      slide.classList.toggle("is-active", i === index);
      slide.classList.toggle("is-past", i < index);
    });
    var focused = document.activeElement;
    if (focused && focused !== document.body && !slides[index].contains(focused) &&
        focused.closest && focused.closest(".slide")) {
      focused.blur(); // don't leave focus inside a slide that is now hidden
    }
    writeHash(slides[index].id);
    updateChrome(previous >= 0);
    var detail = { index: index, previous: previous, id: slides[index].id, slide: slides[index] };
    listeners.forEach(function (fn) { fn(detail); });
    document.dispatchEvent(new CustomEvent("demodeck:change", { detail: detail }));
    return true;
  }

  function next() { return go(index + 1); }
  function prev() { return go(index - 1); }

  // ---- URL hash: names the current slide, so reloads and links land there --

  function readHash() {
    var raw = location.hash.replace(/^#/, "");
    try { return decodeURIComponent(raw); } catch (e) { return raw; }
  }

  function writeHash(id) {
    if (readHash() === id) return;
    var hash = "#" + encodeURIComponent(id);
    try {
      history.replaceState(history.state, "", hash);
    } catch (e) {
      location.replace(hash); // fires hashchange, which is a no-op for the same slide
    }
  }

  function onHashChange() {
    var id = readHash();
    if (id && resolve(id) >= 0) go(id);
  }

  // ---- Chrome: progress bar, counter, live region, buttons ---------------

  function slideTitle(slide) {
    var heading = slide.querySelector("h1, h2");
    return heading ? heading.textContent.replace(/\s+/g, " ").trim() : slide.id;
  }

  function updateChrome(announce) {
    var total = slides.length;
    var ratio = total > 1 ? index / (total - 1) : 1;
    root.style.setProperty("--progress", String(ratio));
    if (ui.current) ui.current.textContent = String(index + 1);
    if (ui.total) ui.total.textContent = String(total);
    if (ui.prev) ui.prev.disabled = index === 0;
    if (ui.next) ui.next.disabled = index === total - 1;
    if (ui.live && announce) {
      ui.live.textContent = "Slide " + (index + 1) + " of " + total + ": " + slideTitle(slides[index]);
    }
  }

  // ---- Scaling the 1280×720 stage, and shrinking crowded slides ------------

  function layout() {
    var scale = Math.min(window.innerWidth / WIDTH, window.innerHeight / HEIGHT);
    root.style.setProperty("--scale", String(scale > 0 ? scale : 1));
  }

  function overflows(el) {
    return el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
  }

  // First loosen the layout (SQUEEZE), then lower --fit (the slide's
  // font-size factor; everything inside is in em) until the content fits. If
  // even MIN_FIT is too big, make the slide scrollable and say so, rather
  // than cutting text off.
  function fitSlide(slide) {
    slide.style.removeProperty("--fit");
    SQUEEZE.forEach(function (knob) { slide.style.removeProperty(knob[0]); });
    slide.classList.remove("is-overflowing");
    fitLines(slide);
    if (!overflows(slide)) return;
    var style = getComputedStyle(slide);
    for (var k = 0; k < SQUEEZE.length; k++) {
      if (!style.getPropertyValue(SQUEEZE[k][0]).trim()) continue; // not used by this slide
      for (var v = 0; v < SQUEEZE[k][1].length; v++) {
        slide.style.setProperty(SQUEEZE[k][0], SQUEEZE[k][1][v]);
        if (!overflows(slide)) return;
      }
    }
    var lo = MIN_FIT;
    var hi = 1;
    for (var i = 0; i < 8; i++) {
      var mid = (lo + hi) / 2;
      slide.style.setProperty("--fit", mid.toFixed(4));
      if (overflows(slide)) hi = mid; else lo = mid;
    }
    slide.style.setProperty("--fit", lo.toFixed(4));
    if (overflows(slide)) {
      slide.classList.add("is-overflowing");
      if (window.console) console.warn("demodeck: slide #" + slide.id + " has more content than fits");
    }
  }

  // One-line elements (big metric numbers) shrink on their own first.
  function fitLines(slide) {
    var lines = slide.querySelectorAll(".metric-value, [data-fit-line]");
    Array.prototype.forEach.call(lines, function (el) {
      el.style.removeProperty("font-size");
      var size = parseFloat(getComputedStyle(el).fontSize);
      var guard = 0;
      while (el.scrollWidth > el.clientWidth + 1 && size > 12 && guard++ < 40) {
        size *= 0.93;
        el.style.fontSize = size.toFixed(1) + "px";
      }
    });
  }

  function fit(slide) {
    (slide ? [slide] : slides).forEach(fitSlide);
  }

  // ---- Input ---------------------------------------------------------------

  function key(keys, run, help) {
    bindings.push({ keys: [].concat(keys), run: run, help: help || "" });
  }

  function isTyping(el) {
    return !!(el && el.closest &&
      el.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
  }

  function onKeyDown(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (isTyping(event.target)) return;
    var name = event.key === " " ? (event.shiftKey ? "Shift+Space" : "Space") : event.key;
    // Space on a focused button or link keeps its usual meaning.
    if (name.indexOf("Space") >= 0 && event.target.closest && event.target.closest("button, a, summary")) return;
    for (var i = 0; i < bindings.length; i++) {
      if (bindings[i].keys.indexOf(name) >= 0) {
        event.preventDefault();
        bindings[i].run(event);
        return;
      }
    }
  }

  function onClick(event) {
    if (event.button !== 0 || event.defaultPrevented) return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var el = event.target;
    if (el.closest && el.closest("a, button, input, select, textarea, summary, label, video, audio, [contenteditable], [data-no-advance]")) return;
    var selection = window.getSelection && window.getSelection();
    if (selection && !selection.isCollapsed && String(selection).trim()) return; // selecting text
    next();
  }

  var touch = null;
  function onTouchStart(event) {
    touch = event.touches.length === 1
      ? { x: event.touches[0].clientX, y: event.touches[0].clientY } : null;
  }
  function onTouchEnd(event) {
    if (!touch || !event.changedTouches.length) return;
    var dx = event.changedTouches[0].clientX - touch.x;
    var dy = event.changedTouches[0].clientY - touch.y;
    touch = null;
    if (Math.abs(dx) < 40 || Math.abs(dx) < 1.5 * Math.abs(dy)) return;
    if (dx < 0) next(); else prev();
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) {
      if (document.exitFullscreen) document.exitFullscreen();
    } else if (root.requestFullscreen) {
      var request = root.requestFullscreen();
      if (request && request.catch) request.catch(function () {});
    }
  }

  var idleTimer = 0;
  function wake() {
    root.classList.remove("is-idle");
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { root.classList.add("is-idle"); }, IDLE_MS);
  }

  key(["ArrowRight", "ArrowDown", "PageDown", "Space"], next, "Next slide");
  key(["ArrowLeft", "ArrowUp", "PageUp", "Shift+Space"], prev, "Previous slide");
  key(["Home"], function () { go(0); }, "First slide");
  key(["End"], function () { go(slides.length - 1); }, "Last slide");
  key(["f", "F"], toggleFullscreen, "Toggle full screen");

  // ---- Start ---------------------------------------------------------------

  function start() {
    slides = Array.prototype.slice.call(document.querySelectorAll(".deck > .slide"));
    api.slides = slides;
    if (!slides.length) return;
    ui.current = document.querySelector(".deck-ui .counter-current");
    ui.total = document.querySelector(".deck-ui .counter-total");
    ui.live = document.querySelector(".deck-ui [aria-live]");
    ui.prev = document.querySelector(".deck-ui [data-action='prev']");
    ui.next = document.querySelector(".deck-ui [data-action='next']");
    if (ui.prev) ui.prev.addEventListener("click", prev);
    if (ui.next) ui.next.addEventListener("click", next);

    layout();
    fit();
    var initial = resolve(readHash());
    go(initial >= 0 ? initial : 0);

    window.addEventListener("resize", layout);
    window.addEventListener("hashchange", onHashChange);
    window.addEventListener("load", function () { fit(); }); // images now have their size
    document.addEventListener("keydown", onKeyDown);
    document.querySelector(".deck").addEventListener("click", onClick);
    document.addEventListener("touchstart", onTouchStart, { passive: true });
    document.addEventListener("touchend", onTouchEnd, { passive: true });
    document.addEventListener("mousemove", wake, { passive: true });
    wake();
  }

  var api = {
    slides: slides,
    current: function () { return index; },
    go: go,
    next: next,
    prev: prev,
    on: function (type, fn) { if (type === "change") listeners.push(fn); },
    key: key,
    keys: bindings,
    fit: fit
  };
  window.demodeck = api;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
