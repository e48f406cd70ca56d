// demodeck live preview. `demodeck serve` adds this script to the HTML pages it serves
// (as __demodeck__/live.js, next to its event stream); `demodeck build` never copies it
// into the site. A project's templates/static/preview.js replaces it, like any theme file.
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.__demodeckLive) { return; }
  window.__demodeckLive = true;
  var base = new URL(".", me.src);   // …/__demodeck__/ on whatever host served the page
  var root = new URL("..", base);    // the site root
  var build = me.getAttribute("data-demodeck-build") || "";
  var SLIDES = "[data-slide][id]";
  var STATE_ATTRS = ["class", "hidden", "inert", "style", "tabindex", "aria-hidden",
                     "aria-current"];  // the deck's navigation owns these
  var rendered = new WeakMap();      // slide element → {cls, html} as last rendered
  var busy = false, again = false, leaving = false, errors = null, notes = null;
  var warnings = [];  // the last good build's; a reload event names them only when they change
  var HIDDEN = "demodeck-hidden-warnings";  // the warnings the writer hid, until they change

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function remember(slide, from) {
    rendered.set(slide, {cls: from.getAttribute("class") || "", html: from.innerHTML});
  }
  each(document.querySelectorAll(SLIDES), function (s) { remember(s, s); });

  function pageKey() {
    var path = location.pathname, top = root.pathname;
    var key = path.indexOf(top) === 0 ? path.slice(top.length) : path.replace(/^\/+/, "");
    try { key = decodeURIComponent(key); } catch (e) { /* keep it encoded */ }
    return key === "" || key.charAt(key.length - 1) === "/" ? key + "index.html" : key;
  }
  function reload() { leaving = true; location.reload(); }
  function same(a, b) {
    return a.length === b.length && a.every(function (x, i) { return x === b[i]; });
  }
  function attrs(doc, selector, name) {
    return Array.prototype.map.call(doc.querySelectorAll(selector),
                                    function (el) { return el.getAttribute(name); });
  }
  var SCRIPTS = "script[src]:not([data-demodeck-build])", SHEETS = 'link[rel~="stylesheet"]';

  // The slides can be updated in place when the same slides come back in the same order
  // with the same scripts; anything else (a demo added, deck.js changed) reloads.
  function morphable(doc) {
    var olds = document.querySelectorAll(SLIDES), news = doc.querySelectorAll(SLIDES);
    if (!olds.length || olds.length !== news.length) { return false; }
    for (var i = 0; i < olds.length; i++) { if (olds[i].id !== news[i].id) { return false; } }
    var a = document.documentElement, b = doc.documentElement;
    return a.lang === b.lang && a.dir === b.dir &&
      same(attrs(document, SCRIPTS, "src"), attrs(doc, SCRIPTS, "src"));
  }

  // New stylesheets load next to the old ones before those go: no unstyled frame.
  function swapStyles(doc) {
    var have = Array.prototype.slice.call(document.querySelectorAll(SHEETS));
    var want = Array.prototype.slice.call(doc.querySelectorAll(SHEETS));
    var href = function (l) { return l.getAttribute("href"); };
    if (same(have.map(href), want.map(href))) { return Promise.resolve(); }
    var byHref = new Map(have.map(function (l) { return [href(l), l]; }));
    var anchor = null, loads = [], last = have[have.length - 1];
    for (var i = want.length - 1; i >= 0; i--) {
      var old = byHref.get(href(want[i]));
      if (old) { anchor = old; continue; }
      var link = document.importNode(want[i], true);
      loads.push(new Promise(function (done) {
        link.addEventListener("load", done); link.addEventListener("error", done);
        setTimeout(done, 2000);
      }));
      if (anchor) { anchor.parentNode.insertBefore(link, anchor); }
      else if (last) { last.after(link); } else { document.head.appendChild(link); }
      anchor = link;
    }
    var wanted = want.map(href);
    return Promise.all(loads).then(function () {
      each(have, function (l) { if (wanted.indexOf(href(l)) < 0) { l.remove(); } });
    });
  }

  function syncSlide(slide, fresh) {
    var was = rendered.get(slide) || {cls: "", html: null};
    var now = (fresh.getAttribute("class") || "").split(/\s+/).filter(Boolean);
    each(was.cls.split(/\s+/).filter(Boolean), function (c) {
      if (now.indexOf(c) < 0) { slide.classList.remove(c); }
    });
    each(now, function (c) { slide.classList.add(c); });
    each(fresh.attributes, function (a) {
      if (STATE_ATTRS.indexOf(a.name) < 0 && slide.getAttribute(a.name) !== a.value) {
        slide.setAttribute(a.name, a.value);
      }
    });
    var html = fresh.innerHTML, changed = html !== was.html || now.join(" ") !== was.cls;
    if (html !== was.html) {
      var nodes = Array.prototype.slice.call(fresh.childNodes);
      slide.replaceChildren.apply(slide, nodes.map(function (n) { return document.adoptNode(n); }));
    }
    rendered.set(slide, {cls: now.join(" "), html: html});
    return changed;
  }

  function apply(doc) {
    if (!morphable(doc)) { return Promise.resolve(false); }
    return swapStyles(doc).then(function () {
      var api = window.demodeck;
      var at = api && typeof api.current === "function" ? api.current() : null;
      var olds = document.querySelectorAll(SLIDES), news = doc.querySelectorAll(SLIDES);
      for (var i = 0; i < olds.length; i++) {
        // the theme shrinks crowded slides to fit; new content needs measuring again
        if (syncSlide(olds[i], news[i]) && api && typeof api.fit === "function") {
          api.fit(olds[i]);
        }
      }
      if (doc.title) { document.title = doc.title; }
      if (at !== null && at !== undefined && typeof api.go === "function") { api.go(at); }
      document.dispatchEvent(new CustomEvent("demodeck:updated"));
      return true;
    });
  }

  function refresh() {
    if (leaving) { return; }
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.pathname + location.search, {cache: "no-store", credentials: "same-origin"})
      .then(function (res) {
        if (!res.ok) { throw new Error("HTTP " + res.status); }
        return res.text();
      })
      .then(function (source) {
        var doc = new DOMParser().parseFromString(source, "text/html");
        var tag = doc.querySelector("script[data-demodeck-build]");
        return apply(doc).then(function (ok) {
          if (!ok) { return reload(); }
          if (tag) { build = tag.getAttribute("data-demodeck-build"); }
        });
      })
      .catch(reload)
      .then(function () {
        busy = false;
        if (again && !leaving) { again = false; refresh(); }
      });
  }

  var STYLE = ".panel{position:fixed;inset:auto 0 0 0;z-index:2147483647;max-height:45vh;" +
    "overflow:auto;margin:0;padding:14px 20px 16px;background:#450a0a;color:#fff;" +
    "font:15px/1.45 system-ui,sans-serif;box-shadow:0 -6px 24px rgba(0,0,0,.35);" +
    "border-top:4px solid #ef4444;text-align:left;direction:ltr}" +
    ".warn{background:#422006;border-top-color:#f59e0b}" +
    ".head{display:flex;gap:1em;align-items:baseline;margin:0 0 8px}" +
    ".head strong{flex:1}button{font:inherit;color:inherit;background:none;border:1px solid " +
    "rgba(255,255,255,.5);border-radius:4px;padding:0 .5em;cursor:pointer}" +
    "pre{margin:0;white-space:pre-wrap;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace}";

  // A panel at the bottom of the page, in a shadow root (the page's styles stay out),
  // its text set with textContent: {box, head, text}; onHide runs when the writer hides it.
  function makePanel(id, role, kind, onHide) {
    var box = document.createElement("div");
    box.id = id;
    var shadow = box.attachShadow({mode: "open"});
    var style = document.createElement("style");
    style.textContent = STYLE;
    var panel = document.createElement("section");
    panel.className = "panel " + kind;
    panel.setAttribute("role", role);
    var bar = document.createElement("p");
    bar.className = "head";
    var head = document.createElement("strong");
    var hide = document.createElement("button");
    hide.type = "button";
    hide.textContent = "Hide";
    hide.addEventListener("click", function () { box.hidden = true; onHide(); });
    var text = document.createElement("pre");
    bar.append(head, hide);
    panel.append(bar, text);
    shadow.append(style, panel);
    document.documentElement.appendChild(box);
    return {box: box, head: head, text: text};
  }
  function drop(panel) { if (panel) { panel.box.remove(); } return null; }
  function hidden() {
    try { return sessionStorage.getItem(HIDDEN); } catch (e) { return null; }
  }
  function hide(text) {
    try { sessionStorage.setItem(HIDDEN, text); } catch (e) { /* hidden on this page only */ }
  }

  // Errors win: while the last save has problems, its warnings are not shown.
  function show(lines) {
    if (!lines || !lines.length) { errors = drop(errors); return; }
    notes = drop(notes);
    if (!errors) { errors = makePanel("demodeck-problems", "alert", "", function () {}); }
    var n = lines.length;
    errors.head.textContent = n + " problem" + (n === 1 ? "" : "s") + " in the last save" +
      (build ? "; the page shows the last good version." : ".");
    errors.text.textContent = lines.join("\n");
    errors.box.hidden = false;
  }

  function warn(lines) {
    var all = (lines || []).join("\n");
    if (!all || errors || hidden() === all) { notes = drop(notes); return; }
    if (notes && notes.shown === all) { return; }  // a long list is laid out once, not per save
    if (!notes) {
      notes = makePanel("demodeck-warnings", "status", "warn", function () {
        hide(notes ? notes.text.textContent : "");
      });
    }
    var n = lines.length;
    notes.head.textContent = n + " warning" + (n === 1 ? "" : "s") +
      " (the site builds; `demodeck check` lists the same).";
    notes.text.textContent = all;
    notes.shown = all;
    notes.box.hidden = false;
  }

  var events = new EventSource(new URL("events", base).href);
  events.addEventListener("hello", function (e) {
    var d = JSON.parse(e.data);
    show(d.problems);
    warnings = d.warnings || [];
    warn(warnings);
    if (d.build && d.build !== build) { refresh(); }   // missed a build while away
  });
  events.addEventListener("problems", function (e) { show(JSON.parse(e.data).problems); });
  events.addEventListener("reload", function (e) {
    var d = JSON.parse(e.data);
    show([]);
    if (d.warnings) { warnings = d.warnings; }
    warn(warnings);
    if (d.build === build) { return; }
    if (d.changed && d.changed.indexOf(pageKey()) < 0) { build = d.build; return; }
    refresh();
  });
})();
